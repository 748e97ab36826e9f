"""The /jobs page: what the scheduler ran and is running; "run now" queues a request.

The web app never runs a job itself (APScheduler lives in the scheduler process): the
button writes a queued run that the scheduler (or ``chargeback jobs work``) picks up, and
the page polls a small JSON view for live progress. Big uploads are runs too (job
``import``). The page always says whether a scheduler is alive (its heartbeat, a row any
web worker reads): a queued run says whom it waits for, and "run now" promises a prompt
start only when a runner is there to keep it.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, ValidationError

from chargeback.access import MANAGE, READ_ALL
from chargeback.extensions import db
from chargeback.services import job_runs
from chargeback.services.publication import close_refusal
from chargeback.services.queries import listing
from chargeback.services.queries import runs as job_list
from chargeback.web.guards import roles
from rules.vocabulary import period_problem

bp = Blueprint("jobs", __name__)
PAGE_SIZE = 50


def a_period(form, field) -> None:
    """The product's one period check (``rules.vocabulary.period_problem``): a month out
    of range is told the range, not the form it is already written in."""
    problem = period_problem(field.data)
    if problem:
        raise ValidationError(problem)


class RunNowForm(FlaskForm):
    job = SelectField("Job", choices=[SelectChoice("close-month", "Close a month"),
                                      SelectChoice("provisional", "Provisional pack")],
                      validators=[DataRequired()])
    period = StringField("Period (YYYY-MM, empty: what is due)", validators=[
        Optional(), a_period])


@bp.route("/jobs")
@roles(*READ_ALL)
def index():
    asked = listing.parse(job_list.LIST, request.args)
    page = job_list.page(db.session, asked)
    waiting = [run for run in (job_list.waiting(db.session),) if run is not None]
    return render_template("jobs/index.html", runs=page.items, page=page.number,
                           total=page.total, pages=page.pages, form=RunNowForm(),
                           spec=job_list.LIST, asked=asked, listed=page,
                           waiting=waiting, can_run=current_user.role in MANAGE,
                           runner=runner_state(),
                           heartbeat_seconds=current_app.config.get(
                               "CHARGEBACK_HEARTBEAT_SECONDS", 15))


def runner_state() -> job_runs.Runner:
    """Who will run queued runs: the heartbeats of the scheduler and of workers, judged
    against the silence this deployment's heartbeat and poll allow."""
    config = current_app.config
    silence = job_runs.silence_allowed(config["CHARGEBACK_POLL_SECONDS"],
                                       config.get("CHARGEBACK_HEARTBEAT_SECONDS", 15))
    return job_runs.runner(db.session, silence)


def queued_message(run_id: int, runner: job_runs.Runner) -> tuple[str, str]:
    """What "run now" says, and how loud: a prompt start only when a runner is alive."""
    if runner.scheduler.alive or runner.worker.alive:
        who = "the scheduler" if runner.scheduler.alive else "a 'chargeback jobs work' worker"
        ahead = f", after run {runner.busy_with.id}" if runner.busy_with else ""
        return f"Run {run_id} queued: {who} picks it up within a few seconds{ahead}.", "info"
    return (f"Run {run_id} queued, but no scheduler is running: it waits until one starts. "
            "Start 'chargeback scheduler' (or 'chargeback jobs work') on the server; "
            "nothing queued is lost meanwhile.", "warning")


@bp.route("/jobs/run", methods=["POST"])
@roles(*MANAGE)
def run_now():
    form = RunNowForm()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{field}: {'; '.join(errors)}", "danger")
        return redirect(url_for("jobs.index"))
    refusal = form.job.data == "close-month" and form.period.data and close_refusal(
        db.session, form.period.data)
    if refusal:  # as the API's 409 and the command line's exit 1: nothing is queued
        flash(refusal, "danger")
        return redirect(url_for("jobs.index"))
    run = job_runs.queue(db.session, form.job.data, form.period.data or None,
                         current_user.email)
    db.session.flush()
    flash(*queued_message(run.id, runner_state()))
    return redirect(url_for("jobs.index"))


@bp.route("/jobs/runs.json")
@roles(*READ_ALL)
def runs_json():
    """The latest runs, for the page's live progress."""
    runs = job_list.latest(db.session, PAGE_SIZE)
    return jsonify([{"id": r.id, "status": r.status, "progress": r.progress,
                     "message": r.message or ""} for r in runs])
