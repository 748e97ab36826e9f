"""Every route of the app, for every role and for a unit head of another unit.

The table below is the rule book: a route that is not in it fails
``test_every_route_has_a_rule``, so a new route cannot ship without a decision on who may
use it. For each route and each kind of user the test checks the status the rule implies:
signed out -> redirect to the sign-in page; not allowed -> 403; allowed -> not 403 and
never 500. Every POST without a CSRF token is refused with 400, whoever sends it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import ImportBatch, JobRun, PackFile, ScorecardVersion, Unit, User
from tests.chargeback.web.conftest import csrf_from
from tests.conftest import FAST_HASH

ROLES = ("admin", "central_it", "finance", "unit_head", "other_head")
PUBLIC = "public"
ALL = set(ROLES)
READ = {"admin", "central_it", "finance"}
MANAGE = {"admin", "central_it"}
ADMIN = {"admin"}
IN_SCOPE = READ | {"unit_head"}  # the unit head of GRP sees ALT; WW's head does not
EDIT_SCORECARD = MANAGE | {"unit_head"}

# endpoint -> {method: who may}
RULES: dict[str, dict[str, object]] = {
    "home": {"GET": PUBLIC},
    "static": {"GET": PUBLIC},
    "auth.login": {"GET": PUBLIC, "POST": PUBLIC},
    "auth.logout": {"POST": PUBLIC},
    "auth.second_step": {"GET": PUBLIC, "POST": PUBLIC},
    "auth.forgot": {"GET": PUBLIC, "POST": PUBLIC},
    "auth.reset": {"GET": PUBLIC, "POST": PUBLIC},
    "portfolio.index": {"GET": ALL},
    "portfolio.compare": {"GET": IN_SCOPE},  # ALT against LAB: both in GRP
    "units.index": {"GET": ALL},
    "units.show": {"GET": IN_SCOPE},
    "units.charges": {"GET": IN_SCOPE},
    "units.usage": {"GET": IN_SCOPE},
    "units.export": {"GET": IN_SCOPE},
    "units.charges_export": {"GET": IN_SCOPE},
    "service_catalog.show": {"GET": IN_SCOPE},
    "chains.show": {"GET": IN_SCOPE},  # PROTO is LAB's, under GRP; not WW's head's
    "portfolio.export": {"GET": ALL},  # a unit head: their units' rows (tested apart)
    "directory.consumers": {"GET": ALL},  # a unit head: their units' own (tested apart)
    "directory.services": {"GET": ALL},
    "scorecard_editor.edit": {"GET": IN_SCOPE, "POST": EDIT_SCORECARD},
    "scorecard_versions.withdraw": {"POST": EDIT_SCORECARD},
    "scorecard_editor.check_expression": {"POST": EDIT_SCORECARD},
    "scorecard_versions.compare": {"GET": IN_SCOPE},
    "variability.edit": {"GET": IN_SCOPE, "POST": EDIT_SCORECARD},  # the unit head states
    "approvals.index": {"GET": MANAGE},
    "approvals.review": {"GET": MANAGE},
    "approvals.approve": {"POST": MANAGE},
    "approvals.send_back": {"POST": MANAGE},
    "data.imports": {"GET": ALL, "POST": ALL},
    "data.batch": {"GET": READ},
    "data.batch_errors": {"GET": READ},  # a unit head: their own batches' only
    "data.import_sample": {"GET": ALL},
    "data.upload_job": {"GET": READ},  # finance's upload: its uploader, and who sees all
    "data.upload_job_json": {"GET": READ},
    "data.packs": {"GET": READ},
    "data.pack_download": {"GET": READ},
    "data.periods": {"GET": READ},
    "data.period_close": {"POST": MANAGE},
    "data.period_reopen": {"POST": MANAGE},
    "statements.index": {"GET": ALL},
    "statements.download": {"GET": IN_SCOPE},  # C-ALT is ALT, under GRP; not WW's head's
    "jobs.index": {"GET": READ},
    "jobs.runs_json": {"GET": READ},
    "jobs.run_now": {"POST": MANAGE},
    "audit.index": {"GET": MANAGE},
    "audit.export": {"GET": MANAGE},
    "admin.index": {"GET": MANAGE},
    "admin.service_models": {"GET": MANAGE},
    "admin.service_model_new": {"GET": MANAGE, "POST": MANAGE},
    "admin.settings": {"GET": MANAGE},
    "admin.settings_bands": {"POST": MANAGE},
    "admin.settings_currency": {"POST": MANAGE},
    "admin.settings_fiscal_year": {"POST": MANAGE},
    "admin.units": {"GET": MANAGE},
    "admin.unit_new": {"GET": MANAGE, "POST": MANAGE},
    "admin.unit_edit": {"GET": MANAGE, "POST": MANAGE},
    "admin.unit_retire": {"POST": MANAGE},
    "admin.unit_reactivate": {"POST": MANAGE},
    "admin.users": {"GET": ADMIN},
    "admin.user_new": {"GET": ADMIN, "POST": ADMIN},
    "admin.user_edit": {"GET": ADMIN, "POST": ADMIN},
    "admin.user_password": {"POST": ADMIN},
    "admin.user_deactivate": {"POST": ADMIN},
    "admin.user_reactivate": {"POST": ADMIN},
    "admin.user_two_step_remove": {"POST": ADMIN},
    "admin.two_step_required": {"POST": ADMIN},
    "help.index": {"GET": ALL},  # to the user's own role's page
    "help.role": {"GET": ALL},  # any role's help: it holds no figures
    "profile.index": {"GET": ALL, "POST": ALL},
    "profile.revoke": {"POST": ALL},
    "profile.password": {"POST": ALL},
    "profile.sign_out_everywhere": {"POST": ALL},
    "profile.two_step": {"GET": ALL, "POST": ALL},
    "profile.two_step_new": {"POST": ALL},
    "profile.two_step_off": {"POST": ALL},
}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api") or rule.rule.startswith("/api/"):
            continue  # the JSON API has its own tests (bearer tokens, no cookies)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_a_rule(app):
    missing = [f"{method} {rule.rule} ({rule.endpoint})" for rule, method in routes(app)
               if method not in RULES.get(rule.endpoint, {})]
    assert missing == [], "routes without an access rule: " + ", ".join(missing)


@pytest.fixture
def targets(users, session):
    """Harmless things for the routes' URL arguments: a throwaway unit and user, ALT."""
    from chargeback.services.users import create_user

    grp = session.scalar(select(Unit).where(Unit.code == "GRP"))
    session.add(Unit(code="TMP", name="Throwaway", parent=grp,
                     service_model_code="customer_intimacy"))
    victim = create_user(session, "victim@example.com", "finance", "a long password", "test",
                         hash_method=FAST_HASH)
    upload = JobRun(job="import", requested_by="fin@example.com", status="succeeded",
                    upload_kind="budget", upload_filename="budget.csv", upload_bytes=1,
                    upload_scope={"units": None})
    session.add(upload)
    session.commit()
    alt = session.scalar(select(Unit.id).where(Unit.code == "ALT"))
    return {
        "code": "ALT",
        "admin_code": "TMP",
        "user_id": victim.id,
        "version_id": session.scalar(select(ScorecardVersion.id)
                                     .where(ScorecardVersion.unit_id == alt)),
        "batch_id": session.scalar(select(ImportBatch.id).order_by(ImportBatch.id)),
        "pack_id": session.scalar(select(PackFile.id)),
        "run_id": upload.id,
        "period": "2026-03",
        "token_id": 999999,
        "filename": "app.css",
        "consumer": "C-ALT",
        "token": "not-a-reset-link",
        "fmt": "csv",
        "kind": "units",
        "role": "finance",
    }


def url_for_rule(rule, targets) -> str:
    values = {}
    for name in rule.arguments:
        if name == "code" and rule.endpoint.startswith("admin."):
            values[name] = targets["admin_code"]
        elif name == "code" and rule.endpoint == "chains.show":
            values[name] = "PROTO"  # a service code: LAB's
        else:
            values[name] = targets[name]
    url = rule.build(values)[1]
    if rule.endpoint == "portfolio.compare":
        url += "?a=ALT&b=LAB&period=2026-03"
    return url


def expected(rule_set, who) -> bool:
    return rule_set == PUBLIC or who in rule_set


@pytest.mark.parametrize("who", ROLES)
def test_each_route_for_a_role(app, signed_in, targets, who):
    client = signed_in(who)
    token = csrf_from(client.get("/portfolio").get_data(as_text=True))
    problems = []
    for rule, method in routes(app):
        if rule.endpoint in ("auth.logout", "profile.sign_out_everywhere"):
            continue  # signing out would end this client's session; covered in test_auth
        allowed = expected(RULES[rule.endpoint][method], who)
        url = url_for_rule(rule, targets)
        if method == "GET":
            status = client.get(url).status_code
        else:
            status = client.post(url, data={"csrf_token": token}).status_code
        ok = status not in (403, 500) if allowed else status == 403
        if status == 500 or not ok:
            problems.append(f"{who} {method} {url}: {status} (allowed: {allowed})")
    assert problems == []


def test_signed_out_is_sent_to_sign_in(app, targets):
    client = app.test_client()
    for rule, method in routes(app):
        if method != "GET" or RULES[rule.endpoint]["GET"] == PUBLIC:
            continue
        response = client.get(url_for_rule(rule, targets))
        assert response.status_code == 302, rule.endpoint
        assert "/login" in response.headers["Location"], rule.endpoint


@pytest.mark.parametrize("who", [None, "admin", "unit_head"])
def test_posts_without_csrf_token_are_refused(app, signed_in, targets, who):
    client = signed_in(who) if who else app.test_client()
    for rule, method in routes(app):
        if method != "POST":
            continue
        response = client.post(url_for_rule(rule, targets), data={})
        assert response.status_code == 400, f"{who} POST {rule.rule}"
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "victim@example.com")).active
