"""``chargeback scheduler`` and ``chargeback jobs``: the scheduler process, its runs, and
``jobs work``, a runner of queued runs. Only click (and flask's
``with_appcontext``, which the command line loads anyway) is imported at the top: what a
command needs is imported when it runs, so ``chargeback --help`` stays quick."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


def _period(ctx, param, value):
    from rules.vocabulary import period_problem

    problem = None if value is None else period_problem(value)
    if problem is None:
        return value
    raise click.BadParameter(problem)


@click.command("scheduler")
@click.option("--once", is_flag=True,
              help="catch up on due months and queued requests, then exit")
@with_appcontext
def scheduler_command(once: bool) -> None:
    """Run the scheduler process (closes months, nightly provisional packs, run-now requests)."""
    import logging

    from flask import current_app

    from chargeback.jobs import scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scheduler.run(current_app._get_current_object(), once=once)


@click.group("jobs")
def jobs_group() -> None:
    """Scheduled jobs and their runs."""


@jobs_group.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1),
              help="how many of the latest runs to list (at least 1)")
@with_appcontext
def jobs_list(limit: int) -> None:
    """The latest job runs."""
    from chargeback.extensions import db
    from chargeback.services.queries import runs

    found = runs.latest(db.session, limit)
    if not found:
        click.echo("no job runs yet")
    for run in found:
        click.echo(f"{run.id:>5} {run.job:<12} {run.period or '-':<8} {run.status:<9} "
                   f"{run.progress:>3}% {run.created_at:%Y-%m-%d %H:%M} {run.message or ''}")


@jobs_group.command("run")
@click.argument("job", type=click.Choice(("close-month", "provisional")))
@click.option("--period", callback=_period, metavar="YYYY-MM",
              help="the month (default: what is due)")
@with_appcontext
def jobs_run(job: str, period: str | None) -> None:
    """Run JOB now, in this process."""
    from flask import current_app

    from chargeback.access import command_line_actor
    from chargeback.jobs import targets as jobs

    jobs.bind(current_app._get_current_object())
    outcomes = jobs.run_now(job, period, command_line_actor())
    if not outcomes:
        click.echo(f"{job}: nothing is due")
    for outcome in outcomes:
        click.echo(f"{outcome.job} {outcome.period or '-'}: {outcome.status}: {outcome.message}")
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)


@jobs_group.command("work")
@click.option("--once", is_flag=True, help="run what is queued now, then exit")
@with_appcontext
def jobs_work(once: bool) -> None:
    """Run queued jobs (big uploads, "run now" requests) until stopped (SIGTERM/SIGINT).

    A dedicated worker beside the scheduler, or for a set-up without one; several may run.
    """
    import logging

    from flask import current_app

    from chargeback.jobs import worker

    # a worker logs each run as it ends; --once prints a line per run instead
    logging.basicConfig(level=logging.WARNING if once else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")

    def report(outcome) -> None:
        run = f"run {outcome.run_id} " if outcome.run_id else ""
        click.echo(f"{run}{outcome.job} {outcome.period or '-'}: {outcome.status}: "
                   f"{outcome.message}")

    outcomes = worker.run(current_app._get_current_object(), once=once,
                          report=report if once else None)
    if once and not outcomes:
        click.echo("nothing is queued")


COMMANDS = (scheduler_command, jobs_group)
