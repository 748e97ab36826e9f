"""Tokens and the door: 401 without a working token, 403 outside the role, one error shape,
the token hashed and shown once, the command line, and the documents served locally."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from chargeback.cli.tokens import token_group
from chargeback.models import ApiToken, AuditEntry, User
from chargeback.services import tokens


def test_no_token_bad_token_and_revoked_token_are_401(app, api, session, users):
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer cb_not-a-token"},
                    {"Authorization": "Basic dXNlcjpwdw=="}, {"Authorization": "Bearer"}):
        response = client.get("/api/v1/units", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        body = response.get_json()
        assert set(body) == {"message", "errors"} and "Bearer" in body["message"]
    finance = api("finance")
    assert finance.get("/api/v1/units").status_code == 200
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == users["finance"].id))
    tokens.revoke(session, token, "test")
    session.commit()
    assert finance.get("/api/v1/units").status_code == 401


def test_a_deactivated_owner_locks_the_token_out(api, session, users):
    finance = api("finance")
    assert finance.get("/api/v1/me").status_code == 200
    users["finance"].active = False
    session.commit()
    assert finance.get("/api/v1/me").status_code == 401


def test_the_token_acts_with_its_owners_role_and_scope(api, session, users):
    me = api("unit_head").get("/api/v1/me").get_json()
    assert me["role"] == "unit_head" and me["units"] == ["GRP"]
    assert me["sees_every_unit"] is False
    # A role change applies to existing tokens at once.
    head = api("other_head")
    assert head.get("/api/v1/periods").status_code == 403
    users["other_head"].role = "finance"
    session.commit()
    assert head.get("/api/v1/periods").status_code == 200


def test_role_refusals_are_403_in_the_error_shape(api):
    response = api("finance").post("/api/v1/periods/2026-03/close")
    assert response.status_code == 403
    assert response.get_json() == {"errors": {}, "message":
                                   "A finance user may not use this operation."}
    assert api("unit_head").get("/api/v1/journal?period=2026-03").status_code == 403
    assert api("unit_head").get("/api/v1/packs").status_code == 403
    refused = api("unit_head").get("/api/v1/packs").get_json()["message"]
    assert refused == "A unit head may not use this operation."


def test_a_refusal_names_every_role_as_a_noun():
    from chargeback.access import ALL_ROLES, role_phrase

    assert [role_phrase(role) for role in ALL_ROLES] == [
        "An administrator", "A central IT user", "A finance user", "A unit head"]


def test_only_a_hash_is_stored_and_last_use_is_recorded(app, session, users):
    token, plaintext = tokens.create(session, users["finance"], "GL pull", "test")
    session.commit()
    assert plaintext.startswith("cb_") and len(plaintext) > 40
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in {t.token_hash for t in session.scalars(select(ApiToken))}
    assert token.last_used_at is None
    app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at is not None
    created = session.scalar(select(AuditEntry).where(AuditEntry.action == "token.create"))
    assert created.actor == "test" and "GL pull" in created.entity_key


def test_command_line_creates_a_token_alone_on_the_last_line(app, runner, users):
    result = runner.invoke(token_group, ["create", "FIN@example.com", "--name", "GL system"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    assert plaintext.startswith("cb_") and " " not in plaintext
    client = app.test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert me.status_code == 200 and me.get_json()["token"]["name"] == "GL system"
    listed = runner.invoke(token_group, ["list", "fin@example.com"])
    assert "GL system" in listed.output and plaintext not in listed.output
    token_id = me.get_json()["token"]["id"]
    revoked = runner.invoke(token_group, ["revoke", str(token_id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    again = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert again.status_code == 401


def test_command_line_refusals_exit_1(runner, users, session):
    assert runner.invoke(token_group, ["create", "nobody@example.com"]).exit_code == 1
    assert runner.invoke(token_group, ["create", "fin@example.com", "--name", " "]).exit_code == 1
    assert runner.invoke(token_group, ["revoke", "999"]).exit_code == 1
    users["admin"].active = False
    session.commit()
    assert runner.invoke(token_group, ["create", "admin@example.com"]).exit_code == 1
    assert session.scalar(select(ApiToken)) is None
    assert session.scalar(select(User).where(User.email == "admin@example.com")) is not None


def test_api_needs_no_csrf_token_but_the_web_still_does(api, signed_in):
    """Bearer tokens are not sent by browsers on their own: the API is exempt from CSRF."""
    response = api("central_it").post("/api/v1/periods/2026-03/reopen",
                                      json={"reason": "a correction"})
    assert response.status_code == 200
    web = signed_in("central_it")
    assert web.post("/periods/2026-03/close").status_code == 400  # no CSRF token


def test_unknown_api_paths_answer_json_and_web_pages_keep_theirs(app, api):
    response = api("admin").get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json
    assert set(response.get_json()) == {"message", "errors"}
    assert app.test_client().get("/api/v1/nothing-here").status_code == 404
    page = app.test_client().get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    wrong = api("admin").delete("/api/v1/units")
    assert wrong.status_code == 405 and wrong.is_json and "GET" in wrong.headers["Allow"]


def test_openapi_document_and_docs_page_are_served_by_the_app(app):
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/charges/focus.csv" in spec["paths"]
    assert "default" not in spec["paths"]["/api/v1/units"]["get"]["responses"]
    assert set(spec["paths"]["/api/v1/units"]["get"]["responses"]) >= {"200", "401", "403"}
    html = client.get("/api/docs").get_data(as_text=True)
    assert "<script>" not in html and "http://" not in html and "https://" not in html
    assert "/api/docs/static/swagger-ui/swagger-ui-bundle.js" in html
    assert "/api/docs/static/api-docs.js" in html
    for asset in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "api-docs.js"):
        assert client.get(f"/api/docs/static/{asset}").status_code == 200
    csp = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp


def test_an_unexpected_error_is_a_json_500_and_changes_nothing(app, api, monkeypatch):
    import chargeback.api.catalog as catalog

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(catalog, "visible_codes", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handler answers
    response = api("finance").get("/api/v1/units")
    assert response.status_code == 500 and response.is_json
    assert response.get_json()["errors"] == {} and "nothing was saved" in \
        response.get_json()["message"]
