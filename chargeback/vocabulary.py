"""The platform's own words (beyond the rules' in ``rules.vocabulary``), defined once.

Models check them in the database, the API's schemas and the web's forms offer them, the
command line accepts them: all from here. Nothing here imports Flask or SQLAlchemy, so
every layer may use it.
"""

from __future__ import annotations

ROLES = ("admin", "central_it", "finance", "unit_head")

IMPORT_KINDS = (
    "units", "consumers", "services", "rates", "spend", "budget", "metrics", "usage", "drivers",
    "offerings", "sla_targets", "sla_results", "dependencies",
)
"""In an order a new database can be filled in. New kinds go at the end: a kind's place
numbers its import lock (``models.periods.lock_import_kind``)."""
REPLACEABLE_KINDS = ("spend", "usage")
"""Kinds whose lines add up, so ``--replace`` may swap the lines of the months a file covers."""
BATCH_STATUSES = ("stored", "refused", "already_imported")

PERIOD_OPEN = "open"
PERIOD_PUBLISHING = "publishing"
PERIOD_CLOSED = "closed"
PERIOD_STATUSES = (PERIOD_OPEN, PERIOD_PUBLISHING, PERIOD_CLOSED)
FROZEN_STATUSES = (PERIOD_PUBLISHING, PERIOD_CLOSED)
"""A month whose figures the close froze: nothing may change it. ``publishing`` is the short
moment between the close's commit and its pack's rename; readers wait for ``closed``."""

PACK_KINDS = ("final", "provisional")
SCORECARD_STATUSES = ("draft", "submitted", "approved", "retired")
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "waiting")
JOBS = ("close-month", "provisional")
