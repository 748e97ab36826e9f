"""People who sign in to the web app."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from chargeback.cli import cli_actor, unit_of_work
from chargeback.vocabulary import ROLES


@click.group("user")
def user_group() -> None:
    """People who sign in to the web app."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--unit", "units", multiple=True, metavar="CODE",
              help="a unit in the user's scope (repeat; required for unit_head)")
@with_appcontext
def user_add(email: str, role: str, units: tuple[str, ...]) -> None:
    """Add a user. The password is one line of standard input; when standard input is a
    terminal or the line is empty, a password is generated and printed once."""
    from chargeback.extensions import db
    from chargeback.services.users import create_user, generate_password

    if role == "unit_head" and not units:  # as docs/cli.md says: required, so exit 2
        raise click.UsageError("a unit head needs at least one unit in their scope: give "
                               "--unit CODE (repeat it for more units)")
    password = "" if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    generated = not password
    if generated:
        password = generate_password()
    with unit_of_work():
        user = create_user(db.session, email, role, password, cli_actor(), list(units),
                           hash_method=current_app.config.get("CHARGEBACK_PASSWORD_HASH",
                                                              "scrypt"))
        added = user.email
    click.echo(f"user {added} added as {role}" + (f" for {', '.join(units)}" if units else ""))
    if generated:
        click.echo(f"password (shown once): {password}")


COMMANDS = (user_group,)
