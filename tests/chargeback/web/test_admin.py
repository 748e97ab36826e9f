"""Administration through the pages: users (admin only), units and the tree's history,
service models with their starter scorecard, band thresholds and the currency."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import openpyxl
from sqlalchemy import func, select

from chargeback.models import AuditEntry, ServiceModel, Setting, Unit, User
from chargeback.services.settings import thresholds
from tests.chargeback.test_close_end_to_end import table
from tests.chargeback.web.conftest import PASSWORD, csrf_from
from tests.chargeback.web.test_data_pages import (
    assert_csp_clean,
)

MANAGE_PAGES = ("/admin", "/admin/units", "/admin/units/new", "/admin/units/ALT",
                "/admin/service-models", "/admin/service-models/new", "/admin/settings")
USER_PAGES = ("/admin/users", "/admin/users/new")


def csrf(client, url: str = "/admin") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def text(response) -> str:
    return response.get_data(as_text=True)


def audit(session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                .order_by(AuditEntry.id)))


def sign_in_as(app, email: str, password: str):
    client = app.test_client()
    token = csrf_from(text(client.get("/login")))
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    return client, response.status_code


def test_pages_by_role(company, signed_in, users):
    for who, manage, people in (("admin", 200, 200), ("central_it", 200, 403),
                                ("finance", 403, 403), ("unit_head", 403, 403)):
        client = signed_in(who)
        for url in MANAGE_PAGES:
            response = client.get(url)
            assert response.status_code == manage, (who, url)
            assert_csp_clean(text(response))
        for url in USER_PAGES + (f"/admin/users/{users['finance'].id}",):
            assert client.get(url).status_code == people, (who, url)
    admin = signed_in("admin")
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.get("/admin/units/NOPE").status_code == 404
    assert "Manage users" in text(admin.get("/admin"))
    assert "Manage users" not in text(signed_in("central_it").get("/admin"))


def test_create_a_user_with_a_generated_password_shown_once(company, signed_in, session, app):
    admin = signed_in("admin")
    token = csrf(admin, "/admin/users/new")
    made = admin.post("/admin/users/new", data={"email": "New.Head@Example.com",
                                                "role": "unit_head", "units": ["ALT", "LAB"],
                                                "password": "", "csrf_token": token})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    password = re.search(r'<code class="user-select-all">([^<]+)</code>', text(made)).group(1)
    user = session.scalar(select(User).where(User.email == "new.head@example.com"))
    assert sorted(u.code for u in user.units) == ["ALT", "LAB"]
    assert password not in user.password_hash
    client, status = sign_in_as(app, "new.head@example.com", password)
    assert status == 302
    assert audit(session, "user.create")[-1].actor == "admin@example.com"


def test_create_user_refusals(company, signed_in, session):
    admin = signed_in("admin")
    token = csrf(admin, "/admin/users/new")
    before = session.scalar(select(func.count()).select_from(User))
    cases = [
        ({"email": "h@example.com", "role": "unit_head", "password": "long enough pw"},
         "a unit head needs at least one unit", 409),
        ({"email": "fin@example.com", "role": "finance", "password": "long enough pw"},
         "already exists", 409),
        ({"email": "s@example.com", "role": "finance", "password": "short"},
         "at least 12 characters", 409),
        ({"email": "not-an-email", "role": "finance"}, "is not an e-mail address", 409),
        ({"email": "k@example.com", "role": "king"}, "Not a valid choice", 400),
        ({"email": "u@example.com", "role": "unit_head", "units": ["NOPE"]},
         "unknown unit(s): NOPE", 409),
        ({}, "This field is required", 400),
    ]
    for data, message, status in cases:
        response = admin.post("/admin/users/new", data={**data, "csrf_token": token})
        assert response.status_code == status, (data, text(response)[-800:])
        assert message in text(response).replace("&#39;", "'"), data
    assert session.scalar(select(func.count()).select_from(User)) == before
    central = signed_in("central_it")
    assert central.post("/admin/users/new", data={
        "email": "x@example.com", "role": "admin", "csrf_token": csrf(central)}).status_code == 403
    assert admin.post("/admin/users/new", data={"email": "y@example.com",
                                                "role": "finance"}).status_code == 400


def test_edit_role_units_password_and_access(company, signed_in, session, users, app):
    admin = signed_in("admin")
    fin = users["finance"]
    page = f"/admin/users/{fin.id}"
    token = csrf(admin, page)
    moved = admin.post(page, data={"role": "unit_head", "units": ["WW"], "csrf_token": token})
    assert moved.status_code == 302
    session.expire_all()
    assert fin.role == "unit_head" and [u.code for u in fin.units] == ["WW"]
    no_units = admin.post(page, data={"role": "unit_head", "csrf_token": token})
    assert no_units.status_code == 409 and "needs at least one unit" in text(no_units)
    session.expire_all()
    assert [u.code for u in fin.units] == ["WW"]  # rolled back whole

    short = admin.post(f"{page}/password", data={"password": "short", "csrf_token": token})
    assert short.status_code == 409 and "at least 12 characters" in text(short)
    typed = admin.post(f"{page}/password", data={"password": "a brand new one",
                                                 "csrf_token": token})
    assert typed.status_code == 302
    assert sign_in_as(app, "fin@example.com", "a brand new one")[1] == 302
    assert sign_in_as(app, "fin@example.com", PASSWORD)[1] == 401
    generated = admin.post(f"{page}/password", data={"password": "", "csrf_token": token})
    assert generated.status_code == 200 and "shown once" in text(generated)

    new_one = re.search(r'<code class="user-select-all">([^<]+)</code>', text(generated))
    already_in = sign_in_as(app, "fin@example.com", new_one.group(1))[0]
    assert already_in.get("/imports").status_code == 200
    assert admin.post(f"{page}/deactivate", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert fin.active is False
    assert already_in.get("/imports").status_code == 302  # their session ends too
    assert sign_in_as(app, "fin@example.com", new_one.group(1))[1] == 401
    assert admin.post(f"{page}/reactivate", data={"csrf_token": token}).status_code == 302
    session.expire_all()
    assert fin.active is True
    actions = [e.action for e in session.scalars(select(AuditEntry).where(
        AuditEntry.entity_key == "fin@example.com"))]
    assert actions.count("user.password") == 2 and actions.count("user.update") >= 3


def test_an_admin_cannot_lock_themselves_out(company, signed_in, session, users):
    admin = signed_in("admin")
    me = f"/admin/users/{users['admin'].id}"
    token = csrf(admin, me)
    demote = admin.post(me, data={"role": "finance", "csrf_token": token})
    assert demote.status_code == 409 and "cannot change your own role" in text(demote)
    off = admin.post(f"{me}/deactivate", data={"csrf_token": token}, follow_redirects=True)
    assert "cannot deactivate your own account" in text(off)
    session.expire_all()
    assert users["admin"].role == "admin" and users["admin"].active


def unit_form(**changes) -> dict:
    base = {"name": "Plant IT", "parent_code": "HQ", "service_model": "operational_excellence",
            "billing_mode": "chargeback", "recovery_account": "4900-X", "head_email": ""}
    return {**base, **changes}


def test_units_create_edit_and_refusals(company, signed_in, session):
    client = signed_in("central_it")
    token = csrf(client, "/admin/units/new")
    made = client.post("/admin/units/new", data={**unit_form(), "code": "PL2",
                                                 "csrf_token": token})
    assert made.status_code == 302
    unit = session.scalar(select(Unit).where(Unit.code == "PL2"))
    assert unit.parent.code == "HQ" and unit.recovery_account == "4900-X" and unit.active
    refusals = [
        ("/admin/units/new", {**unit_form(), "code": "PL2"}, "a unit &#39;PL2&#39; already"),
        ("/admin/units/new", {**unit_form(parent_code=""), "code": "ROOT2"},
         "already has a root unit &#39;HQ&#39;"),
        ("/admin/units/new", {**unit_form(), "code": "has space"}, "code: letters, digits"),
        ("/admin/units/new", {**unit_form(service_model="nope"), "code": "X1"},
         "unknown service model"),
        ("/admin/units/new", {**unit_form(parent_code="NOPE"), "code": "X2"},
         "unknown unit &#39;NOPE&#39;"),
        ("/admin/units/GRP", unit_form(name="R&D IT", parent_code="ALT"),
         "cycle: GRP cannot move under &#39;ALT&#39;"),
        ("/admin/units/GRP", unit_form(name="R&D IT", parent_code="GRP"), "under itself"),
        ("/admin/units/HQ", unit_form(name="Central IT", parent_code="WW"), "cycle"),
        ("/admin/units/WW", unit_form(head_email="not-mail"), "not an e-mail"),
    ]
    for url, data, message in refusals:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 409, (url, data, text(response)[-600:])
        assert message in text(response), (url, message)
    for url in ("/admin/units/new", "/admin/units/WW"):
        assert client.post(url, data={"csrf_token": token}).status_code == 400  # fields missing
    assert session.scalar(select(func.count()).select_from(Unit)) == 7
    renamed = client.post("/admin/units/WW", data={
        **unit_form(name="Walla Walla IT", parent_code="GRP", billing_mode="showback"),
        "csrf_token": token})
    assert renamed.status_code == 302
    session.expire_all()
    ww = session.scalar(select(Unit).where(Unit.code == "WW"))
    assert (ww.name, ww.parent.code, ww.billing_mode) == ("Walla Walla IT", "GRP", "showback")
    entry = audit(session, "unit.update")[-1]
    assert entry.before["parent_code"] == "HQ" and entry.after["parent_code"] == "GRP"


def test_retire_and_reactivate(company, signed_in, session):
    client = signed_in("admin")
    token = csrf(client, "/admin/units/GRP")
    busy = client.post("/admin/units/GRP/retire", data={"csrf_token": token})
    assert busy.status_code == 409 and "still has active units below it (ALT, LAB)" in text(busy)
    root = client.post("/admin/units/HQ/retire", data={"csrf_token": token})
    assert root.status_code == 409 and "root of the tree" in text(root)
    long = client.post("/admin/units/LAB/retire", data={"reason": "x" * 600, "csrf_token": token})
    assert long.status_code == 400 and "at most 500 characters" in text(long)
    gone = client.post("/admin/units/LAB/retire", data={"reason": "merged into ALT",
                                                        "csrf_token": token})
    assert gone.status_code == 302
    page = text(client.get("/admin/units"))
    assert page.index("Retired units") < page.index(">LAB<")
    under = client.post("/admin/units/new", data={**unit_form(parent_code="LAB"),
                                                  "code": "LAB2", "csrf_token": token})
    assert under.status_code == 409 and "is retired" in text(under)
    assert audit(session, "unit.retire")[-1].reason == "merged into ALT"
    again = client.post("/admin/units/LAB/retire", data={"csrf_token": token})
    assert again.status_code == 409 and "already retired" in text(again)
    assert client.post("/admin/units/LAB/reactivate", data={"csrf_token": token}).status_code \
        == 302
    session.expire_all()
    assert session.scalar(select(Unit).where(Unit.code == "LAB")).active


def test_a_move_leaves_closed_periods_alone(company, signed_in, runner, tmp_path, session):
    client = signed_in("central_it")
    token = csrf(client, "/admin/units/ALT")
    moved = client.post("/admin/units/ALT", data={
        **unit_form(name="Altoona Computing", parent_code="HQ",
                    service_model="customer_intimacy", recovery_account="4900-ALT"),
        "csrf_token": token})
    assert moved.status_code == 302
    out = tmp_path / "again.xlsx"
    result = runner.invoke(args=["pack", "2026-03", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    rows = {r["Unit"]: r for r in table(openpyxl.load_workbook(out)["Portfolio"])}
    assert rows["ALT"]["Parent"] == "GRP" and rows["ALT"]["Name"] == "Altoona R&D Computing"
    assert Decimal(str(rows["GRP"]["Spend"])) == Decimal("92100.00")  # ALT still in GRP
    session.expire_all()
    alt = session.scalar(select(Unit).where(Unit.code == "ALT"))
    assert alt.parent.code == "HQ" and alt.name == "Altoona Computing"


STARTER = {"criteria": [
    {"key": "uptime", "label": "Uptime (%)", "expr": "availability", "direction": "higher",
     "method": "linear", "target": 99.9, "floor": 99.0, "weight": 2},
    {"key": "on_budget", "label": "Within budget", "expr": "spend / budget",
     "direction": "lower", "method": "bands", "bands": [{"at": 1.0, "score": 100}],
     "weight": 1}]}


def test_add_a_service_model_with_its_starter(company, signed_in, session):
    client = signed_in("central_it")
    form = client.get("/admin/service-models/new")
    assert "researcher_csat" in text(form)  # the example to start from
    token = csrf_from(text(form))
    added = client.post("/admin/service-models/new", data={
        "code": "cost_leadership", "name": "Cost leadership", "starter": json.dumps(STARTER),
        "csrf_token": token})
    assert added.status_code == 302
    model = session.get(ServiceModel, "cost_leadership")
    assert model.builtin is False and model.template["unit"] == ""
    assert model.template["criteria"][0]["target"] == "99.9"  # exact, as text
    assert [c["key"] for c in model.template["criteria"]] == ["uptime", "on_budget"]
    listing = text(client.get("/admin/service-models"))
    assert "cost_leadership" in listing and "Uptime (%)" in listing
    unit = client.post("/admin/units/new", data={**unit_form(service_model="cost_leadership"),
                                                 "code": "CL1", "csrf_token": token})
    assert unit.status_code == 302


def test_service_model_refusals(company, signed_in, session):
    client = signed_in("admin")
    token = csrf(client, "/admin/service-models/new")
    no_floor = {"criteria": [{**STARTER["criteria"][0], "floor": None}]}
    bad_expr = {"criteria": [{**STARTER["criteria"][0], "expr": "__import__('os')"}]}
    cases = [
        ({"code": "x_model", "name": "X", "starter": "{not json"}, "starter: not JSON"),
        ({"code": "x_model", "name": "X", "starter": json.dumps(no_floor)},
         "criterion uptime: floor: is required for the linear method"),
        ({"code": "x_model", "name": "X", "starter": json.dumps(bad_expr)}, "uptime"),
        ({"code": "x_model", "name": "X", "starter": json.dumps({"criteria": []})},
         "needs at least one criterion"),
        ({"code": "x_model", "name": "X", "starter": "42"}, "a list of criteria"),
        ({"code": "Bad Code", "name": "X", "starter": json.dumps(STARTER)},
         "code: lower-case letters"),
        ({"code": "customer_intimacy", "name": "X", "starter": json.dumps(STARTER)},
         "already exists"),
    ]
    for data, message in cases:
        response = client.post("/admin/service-models/new", data={**data, "csrf_token": token})
        assert response.status_code == 409, data
        assert message in text(response).replace("&#39;", "'"), (message, text(response)[-900:])
    missing = client.post("/admin/service-models/new", data={"csrf_token": token})
    assert missing.status_code == 400
    assert session.scalar(select(func.count()).select_from(ServiceModel)) == 4  # the built-in


def test_band_thresholds(company, signed_in, session):
    client = signed_in("central_it")
    token = csrf(client, "/admin/settings")
    saved = client.post("/admin/settings/bands", data={"exceeds": "85", "meets": "65.5",
                                                       "watch": "0", "csrf_token": token})
    assert saved.status_code == 302
    limits = thresholds(session)
    assert (limits.exceeds, limits.meets, limits.watch) == (Decimal(85), Decimal("65.5"),
                                                            Decimal(0))
    assert session.get(Setting, "band_meets").value == "65.5"
    entry = audit(session, "settings.bands")[-1]
    assert entry.before == {"exceeds": "90", "meets": "70", "watch": "50"}
    for data, status, message in (
            ({"exceeds": "60", "meets": "70", "watch": "50"}, 409, "must go down"),
            ({"exceeds": "101", "meets": "70", "watch": "50"}, 409, "between 0 and 100"),
            ({"exceeds": "90", "meets": "70", "watch": "-1"}, 409, "between 0 and 100"),
            ({"exceeds": "90.001", "meets": "70", "watch": "50"}, 409, "2 decimal places"),
            ({"exceeds": "NaN", "meets": "70", "watch": "50"}, 409, "must be a number"),
            ({"exceeds": "ninety", "meets": "70", "watch": "50"}, 400, "Not a valid decimal"),
            ({"meets": "70"}, 400, "This field is required")):
        response = client.post("/admin/settings/bands", data={**data, "csrf_token": token})
        assert response.status_code == status, data
        assert message in text(response), (data, message)
    assert thresholds(session).exceeds == Decimal(85)
    assert "85" in text(client.get("/admin"))


def test_currency(company, signed_in, session):
    client = signed_in("admin")
    token = csrf(client, "/admin/settings")
    assert "USD" in text(client.get("/admin/settings"))
    saved = client.post("/admin/settings/currency", data={"currency": " eur", "csrf_token":
                                                          token})
    assert saved.status_code == 302 and session.get(Setting, "currency").value == "EUR"
    assert audit(session, "settings.currency")[-1].before == {"currency": "USD"}
    for value, status in (("EURO", 400), ("E1R", 409), ("", 400)):
        response = client.post("/admin/settings/currency", data={"currency": value,
                                                                 "csrf_token": token})
        assert response.status_code == status, value
    assert session.get(Setting, "currency").value == "EUR"
    assert "Currency EUR" in text(client.get("/admin"))


def test_fiscal_year_start(company, signed_in, session, monkeypatch):
    client = signed_in("admin")
    token = csrf(client, "/admin/settings")
    assert "Fiscal years start in January" in text(client.get("/admin/settings"))
    saved = client.post("/admin/settings/fiscal-year", data={"start": "7", "csrf_token": token})
    assert saved.status_code == 302 and session.get(Setting, "fiscal_year_start").value == "7"
    assert audit(session, "settings.fiscal_year_start")[-1].after == {"fiscal_year_start": 7}
    assert "Fiscal years start in July" in text(client.get("/admin/settings"))
    for value in ("13", "0", "July", ""):
        response = client.post("/admin/settings/fiscal-year", data={"start": value,
                                                                    "csrf_token": token})
        assert response.status_code == 400, value
    assert session.get(Setting, "fiscal_year_start").value == "7"
    assert signed_in("finance").get("/admin/settings").status_code == 403


def test_every_admin_form_needs_its_csrf_token(company, signed_in, users, session):
    client = signed_in("admin")
    fin = users["finance"].id
    for url, data in (("/admin/users/new", {"email": "z@example.com", "role": "finance"}),
                      (f"/admin/users/{fin}", {"role": "admin"}),
                      (f"/admin/users/{fin}/password", {"password": "a long password"}),
                      (f"/admin/users/{fin}/deactivate", {}),
                      ("/admin/units/new", {**unit_form(), "code": "Q1"}),
                      ("/admin/units/LAB/retire", {}),
                      ("/admin/service-models/new", {"code": "q", "name": "Q",
                                                     "starter": json.dumps(STARTER)}),
                      ("/admin/settings/bands", {"exceeds": "80", "meets": "60",
                                                 "watch": "40"}),
                      ("/admin/settings/currency", {"currency": "EUR"}),
                      ("/admin/settings/fiscal-year", {"start": "4"})):
        assert client.post(url, data=data).status_code == 400, url
    session.expire_all()
    assert users["finance"].role == "finance" and users["finance"].active
    assert session.get(Setting, "currency") is None
