"""The product's command group: a command's module is imported only when it is invoked.

Flask's own group (``FlaskGroup``) creates the app to list or find any command the app
registered, so ``chargeback --help`` used to import every layer of the product (the models,
the services, openpyxl, rule-engine) to print a list. This group knows its commands by import
path, with each one's summary stored beside it:

* listing (``--help``) prints the stored summaries and imports nothing;
* invoking a command imports its module then, and the command creates the app when it runs
  (``with_appcontext``), as it always did, with only the parts of the app the command says
  it needs (``LazyCommand.web``, ``.migrations``);
* the product's commands only: Flask's own options (``--app``, ``--env-file``, ``--debug``)
  and commands (``run``, ``shell``, ``routes``) and the ``flask.commands`` plugins are not
  offered (``flask --app wsgi ...`` still has them); a name the table does not know is a
  usage error (exit 2).

Click documents this pattern ("lazily loading subcommands"); storing the summary is what lets
the listing skip the import. ``tests/chargeback/test_startup.py`` checks each summary against
its command and the whole listing against click's own listing of the loaded commands.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import partial
from gettext import gettext as _
from typing import TYPE_CHECKING, NamedTuple

import click
from flask.cli import FlaskGroup, ScriptInfo

if TYPE_CHECKING:
    from flask import Flask


class LazyCommand(NamedTuple):
    """Where a command lives (``"package.module:attribute"``), its one-line summary (the
    first paragraph of its help, which is what click shortens for a listing), and what of
    the app it needs when it runs: the pages and the API (``web``), Flask-Migrate
    (``migrations``); a command that needs neither starts in a fraction of a whole app's
    time (``create_app(web=False, migrations=False)``)."""

    target: str
    summary: str
    web: bool = False
    migrations: bool = False

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command

    def stand_in(self, name: str) -> click.Command:
        """What the listing shows: a command with the stored summary as its help."""
        return click.Command(name, help=self.summary)


FLASK_OPTIONS = frozenset({"app", "env_file", "debug"})
"""``FlaskGroup``'s own options: for Flask's command line, not the product's."""


class LazyFlaskGroup(FlaskGroup):
    """``FlaskGroup`` (its ``ScriptInfo``, which ``with_appcontext`` needs) with the commands
    of ``lazy_commands`` (name -> ``LazyCommand``) and nothing else."""

    def __init__(self, lazy_commands: Mapping[str, LazyCommand],
                 make_app: Callable[..., Flask], **kwargs) -> None:
        """``make_app(web=..., migrations=...)`` makes the app; called without arguments
        (Flask's ``create_app``), the whole one."""
        super().__init__(create_app=make_app, add_default_commands=False, **kwargs)
        self.params = [p for p in self.params if p.name not in FLASK_OPTIONS]
        self.lazy_commands = dict(lazy_commands)
        self.make_app = make_app

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The command ``name``, which gets, when it runs, the app with only what it needs
        (``make_app(web=..., migrations=...)``); None (click: "No such command") for a name
        the table does not know."""
        lazy = self.lazy_commands.get(name)
        if lazy is None:
            return None
        info = ctx.ensure_object(ScriptInfo)
        info.create_app = partial(self.make_app, web=lazy.web, migrations=lazy.migrations)
        return lazy.load()

    def invoke(self, ctx: click.Context):
        """A command the database stopped because of another process (a SQLite database
        locked past its busy timeout, wherever in the command that happened) ends with one
        line saying what to do and exit status 1, never a traceback."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            from chargeback.cli import contention_message

            app = getattr(ctx.find_object(ScriptInfo), "_loaded_app", None)
            busy = app.config.get("CHARGEBACK_SQLITE_BUSY_SECONDS") if app else None
            message = contention_message(exc, busy)
            if message is None:
                raise
            click.echo(message, err=True)
            ctx.exit(1)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's own listing (same columns, same shortening), with a lazy command's line
        made from its stored summary rather than from its imported module."""
        listed = [(name, self.lazy_commands[name].stand_in(name))
                  for name in self.list_commands(ctx)]
        if not listed:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in listed)
        with formatter.section(_("Commands")):
            formatter.write_dl([(name, command.get_short_help_str(limit))
                                for name, command in listed])
