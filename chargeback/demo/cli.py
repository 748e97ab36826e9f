"""``chargeback demo``: load and close the demo holding company, then serve the app with its
scheduler in one process (for a single user; in production they are two processes)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("demo")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="serve the web app when the demo is loaded")
@click.option("--port", default=5000, show_default=True, help="port on 127.0.0.1")
@with_appcontext
def demo_command(serve: bool, port: int) -> None:
    """Load the demo holding company, close its months, write their packs, serve the app."""
    from flask import current_app

    from chargeback.demo import ensure_demo_users, run_demo
    from chargeback.extensions import db

    if serve:
        _port_free_or_exit(port)  # before the demo migrates or resets any password
    config = current_app.config
    run_demo(click.echo, Path(config["CHARGEBACK_PACK_DIR"]), config["CHARGEBACK_CURRENCY"])
    logins = ensure_demo_users(db.session, click.echo,
                               config.get("CHARGEBACK_PASSWORD_HASH", "scrypt"))
    click.echo("Sign in with (passwords are new on every run of the demo):")
    for email, role, password in logins:
        click.echo(f"  {role:<11} {email:<26} {password}")
    if serve:
        from werkzeug.serving import run_simple

        from chargeback.jobs.scheduler import start_in_background

        app = current_app._get_current_object()
        scheduler = start_in_background(app)
        click.echo(f"Serving the web app at http://127.0.0.1:{port}/ with the scheduler "
                   "(Ctrl+C to stop)")
        try:
            run_simple("127.0.0.1", port, app, threaded=True)
        finally:
            scheduler.shutdown(wait=True)


def _port_free_or_exit(port: int) -> None:
    """Exit 1 with what to do when something already listens on 127.0.0.1:``port``: the
    demo would otherwise load, close and reset every demo password, then fail to serve."""
    import socket
    import sys

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            click.echo(f"port {port} on 127.0.0.1 is taken ({exc.strerror}): nothing was "
                       f"changed; pick another with `chargeback demo --port {port + 1}` (or "
                       "stop what uses it, perhaps an earlier demo)", err=True)
            sys.exit(1)


COMMANDS = (demo_command,)
