"""``chargeback token``: personal API tokens from the command line (central IT's scripts).

``token create EMAIL`` prints the token alone on its last line, so a script can take it
with ``| tail -n 1``; it is shown this once and only its hash is stored.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from chargeback.cli import cli_actor, refuse, unit_of_work


@click.group("token")
def token_group() -> None:
    """Personal API tokens (Authorization: Bearer ...)."""


@token_group.command("create")
@click.argument("email")
@click.option("--name", default="command line", show_default=True,
              help="what the token is for (the script or system that uses it)")
@click.option("--days", type=int, default=None,
              help="how many days it works (default CHARGEBACK_TOKEN_DAYS, 90; at most "
                   "CHARGEBACK_TOKEN_MAX_DAYS, 365)")
@with_appcontext
def token_create(email: str, name: str, days: int | None) -> None:
    """Create a token for the user EMAIL; the token is printed alone on the last line."""
    from flask import current_app

    from chargeback.extensions import db
    from chargeback.services.queries import people
    from chargeback.services.tokens import create

    user = people.by_email(db.session, email)
    if user is None:
        refuse(f"no user {email}: add one with `chargeback user add`")
    with unit_of_work():
        token, plaintext = create(
            db.session, user, name, cli_actor(), days,
            default_days=current_app.config.get("CHARGEBACK_TOKEN_DAYS", 90),
            max_days=current_app.config.get("CHARGEBACK_TOKEN_MAX_DAYS", 365))
        said = (f"token {token.id} ({token.name}) for {user.email} as {user.role}, expires "
                f"{_when(token.expires_at)}; shown once, only its hash is kept:")
    click.echo(said)
    click.echo(plaintext)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id: int) -> None:
    """Revoke the token TOKEN_ID (it stops working at once)."""
    from chargeback.extensions import db
    from chargeback.services.queries import people
    from chargeback.services.tokens import revoke

    token = people.token(db.session, token_id)
    if token is None:
        refuse(f"no token {token_id}")
    already = token.revoked_at is not None
    name = token.name
    with unit_of_work():
        revoke(db.session, token, cli_actor())
    click.echo(f"token {token_id} ({name}) " + ("was already revoked" if already
                                                 else "revoked"))


@token_group.command("list")
@click.argument("email", required=False)
@with_appcontext
def token_list(email: str | None) -> None:
    """The tokens of EMAIL (or of everyone): id, owner, name, created, expires, last used,
    revoked."""
    from chargeback.extensions import db
    from chargeback.services.queries import people

    rows = people.tokens(db.session, email)
    if not rows:
        click.echo("no tokens")
    for token, owner in rows:
        click.echo(f"{token.id:>5} {owner:<30} {token.name:<24} "
                   f"created {_when(token.created_at)}  expires {_when(token.expires_at)}  "
                   f"last used {_when(token.last_used_at)}"
                   + (f"  revoked {_when(token.revoked_at)}" if token.revoked_at else ""))


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


COMMANDS = (token_group,)
