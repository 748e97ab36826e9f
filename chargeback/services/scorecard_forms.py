"""The scorecard editor's form kept between a POST and the GET it redirects to.

Post/redirect/get: the editor's buttons post the whole form; instead of answering the POST
with a page (which a reload would post again), the form as it should be shown next (its
fields, its error marks, whether to preview it) is stored under a random token and the
browser is sent to ``?form=<token>``. Only the user who posted it, on that unit, gets it
back; a day later it is gone (old rows are swept whenever a new one is stored).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chargeback.models import ScorecardFormInput

KEEP = dt.timedelta(days=1)
MODES = ("edit", "preview")


def keep(session: Session, unit_id: int, user_id: int, mode: str, form: dict) -> str:
    """Store the form to show next; returns its token."""
    if mode not in MODES:
        raise ValueError(f"unknown form mode {mode!r}")
    now = dt.datetime.now(dt.UTC)
    session.execute(delete(ScorecardFormInput).where(ScorecardFormInput.created_at < now - KEEP))
    token = secrets.token_urlsafe(24)
    session.add(ScorecardFormInput(token=token, unit_id=unit_id, user_id=user_id, mode=mode,
                                   form=form, created_at=now))
    session.flush()
    return token


def kept(session: Session, token: str, unit_id: int, user_id: int) -> tuple[str, dict] | None:
    """(mode, form) stored under ``token`` by this user for this unit, if still kept."""
    if not token or len(token) > 64:
        return None
    row = session.scalar(select(ScorecardFormInput).where(
        ScorecardFormInput.token == token, ScorecardFormInput.unit_id == unit_id,
        ScorecardFormInput.user_id == user_id))
    if row is None:
        return None
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    if created < dt.datetime.now(dt.UTC) - KEEP:
        return None
    return row.mode, row.form
