"""A Flask command group that imports a command's module only when that command is invoked.

Flask's own group (``FlaskGroup``) creates the app to list or find any command the app
registered, so ``chargeback --help`` used to import every layer of the product (the models,
the services, openpyxl, rule-engine) to print a list. This group knows its commands by import
path, with each one's summary stored beside it:

* listing (``--help``) prints the stored summaries and imports nothing;
* invoking a command imports its module then, and the command creates the app when it runs
  (``with_appcontext``), as it always did, with only the parts of the app the command says
  it needs (``LazyCommand.web``, ``.migrations``);
* a name it does not know goes to ``FlaskGroup`` as before (Flask's ``run``, ``shell`` and
  ``routes``, the ``flask.commands`` plugins, then the app's own commands).

Click documents this pattern ("lazily loading subcommands"); storing the summary is what lets
the listing skip the import. ``tests/chargeback/test_startup.py`` checks each summary against
its command and the whole listing against Flask's eager one.
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


class LazyFlaskGroup(FlaskGroup):
    """``FlaskGroup`` with ``lazy_commands`` (name -> ``LazyCommand``) looked up first."""

    def __init__(self, lazy_commands: Mapping[str, LazyCommand],
                 make_app: Callable[..., Flask], **kwargs) -> None:
        """``make_app(web=..., migrations=...)`` makes the app; called without arguments
        (Flask's ``create_app``), the whole one."""
        super().__init__(create_app=make_app, **kwargs)
        self.lazy_commands = dict(lazy_commands)
        self.make_app = make_app

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The lazy commands and the group's own (Flask's defaults), without the app or the
        plugins: the lazy table names every command the app and the plugins add."""
        return sorted(set(self.lazy_commands) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """The command ``name``; a lazy one gets, when it runs, the app with only what it
        needs (``make_app(web=..., migrations=...)``), any other the whole app."""
        lazy = self.lazy_commands.get(name)
        if lazy is None:
            return super().get_command(ctx, name)
        info = ctx.ensure_object(ScriptInfo)
        info.create_app = partial(self.make_app, web=lazy.web, migrations=lazy.migrations)
        return lazy.load()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's own listing (same columns, same shortening), with a lazy command's line
        made from its stored summary rather than from its imported module."""
        listed = [(name, self._listed(name)) for name in self.list_commands(ctx)]
        listed = [(name, command) for name, command in listed
                  if command is not None and not command.hidden]
        if not listed:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in listed)
        with formatter.section(_("Commands")):
            formatter.write_dl([(name, command.get_short_help_str(limit))
                                for name, command in listed])

    def _listed(self, name: str) -> click.Command | None:
        """Not ``get_command``: for Flask's own commands that would load the plugins too."""
        lazy = self.lazy_commands.get(name)
        return lazy.stand_in(name) if lazy is not None else self.commands.get(name)
