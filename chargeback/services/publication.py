"""Running a close end to end, and publishing its pack: a month is closed exactly when its
pack is in place.

The close (``closing.close_period``) freezes and seals the month and writes its pack to a
hidden pending file, in one transaction that leaves the month ``publishing``. After that
commit, ``publish`` renames the pack into place and only then marks the month closed,
stamping ``closed_at``, in a second transaction. A run that stops between the two (a crash,
a kill, a full disk) leaves a ``publishing`` month that the next run finishes (the pending
or final file is there and matches its checksum) or undoes (it is not: the month is open
again, nothing of the close kept but the audit entry saying so). Every close, the
scheduler's sweep and ``chargeback verify`` start by doing that.

These are the only service functions that commit: a close is two transactions by design.
They take what they need (the session, the pack folder, the deployment's currency) as
arguments, never from Flask.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from chargeback.db_setup import write_transaction
from chargeback.failpoints import failpoint
from chargeback.models import PackFile, Period
from chargeback.models.audit import record
from chargeback.refusals import Conflict
from chargeback.services import packs, seal
from chargeback.services.closing import (
    FROZEN_TABLES,
    Publication,
    clear_results,
    close_period,
    pending_path,
)
from chargeback.services.periods import PeriodRefused, lock_period
from chargeback.services.queries import packs as pack_files
from chargeback.services.queries.periods import publishing
from chargeback.vocabulary import PERIOD_CLOSED, PERIOD_OPEN, PERIOD_PUBLISHING


def close_refusal(session: Session, period: str) -> str | None:
    """Why a close of ``period`` may not be asked for now, or None: a month already closed
    (reopen it first) or whose close is being published. The API (409) and the Jobs page's
    "run now" (a flash, nothing queued) ask here, so neither queues a run that can only
    say the month is closed."""
    row = session.get(Period, period)
    if row is None:
        return None
    if row.status == PERIOD_PUBLISHING:
        return f"Period {period} is being closed: its pack is being published."
    if row.status == PERIOD_CLOSED:
        return f"Period {period} is already closed; reopen it first to close it again."
    return None


def close_and_publish(session: Session, period: str, actor: str, *, pack_dir: Path,
                      default_currency: str) -> Path:
    """Close ``period`` and publish its pack; returns the pack's path. Raises CloseRefused
    or PeriodRefused (nothing changed) for a month the data or its state does not allow."""
    finish_interrupted(session)
    publication: Publication | None = None
    try:
        with write_transaction():
            publication = close_period(session, period, actor, pack_dir, default_currency)
            failpoint("close.before-commit")
            session.commit()
    except BaseException:
        session.rollback()
        if publication is not None:
            publication.discard()
        raise
    failpoint("close.before-publish")
    path = publish(session, period)
    refresh_statistics(session)
    return path


def refresh_statistics(session: Session) -> None:
    """PostgreSQL plans a closed month's pages with fresh statistics at once, not after
    autovacuum notices the close's bulk of rows (a plan made on empty statistics reads a
    month of charges where an index finds one unit's)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    tables = ", ".join(model.__tablename__ for model in FROZEN_TABLES)
    session.execute(text(f"ANALYZE {tables}"))
    session.commit()


@dataclass(frozen=True)
class Outcome:
    period: str
    published: bool  # False: the publication could not be finished and was undone
    path: Path | None
    message: str


def publish(session: Session, period: str) -> Path:
    """Put the committed close's pack in place and mark the month closed; the pack's path."""
    outcome = _finish(session, period)
    if not outcome.published:
        raise PublicationLost(outcome.message)
    return outcome.path


class PublicationLost(Conflict):
    """The pack of a committed close was lost before it was published; the close is undone."""


def finish_interrupted(session: Session) -> list[Outcome]:
    """Finish or undo every publication a run left half done (see the module's docstring)."""
    session.rollback()
    months = [row.period for row in publishing(session)]
    session.rollback()
    return [_finish(session, period) for period in months]


def _finish(session: Session, period: str) -> Outcome:
    """Under the month's lock: rename the pack if need be and mark the month closed; or,
    when neither the pending nor the final file is the one the close wrote, undo it."""
    with write_transaction():
        row = lock_period(session, period)
        pack = pack_files.unpublished(session, period) if row is not None else None
        if row is None or row.status != PERIOD_PUBLISHING or pack is None:
            session.rollback()
            return _settled(session, period, row.status if row is not None else None)
        final = Path(pack.path)
        if not pack_files.intact(final, pack.sha256):
            pending = pending_path(final)
            if pack_files.intact(pending, pack.sha256):
                os.replace(pending, final)
                _sync_folder(final.parent)
            else:
                message = _undo(session, row, pack)
                session.commit()
                return Outcome(period, False, None, message)
        _mark_closed(session, row, pack)
        session.commit()
    return Outcome(period, True, final, "published")


def _settled(session: Session, period: str, status: str | None) -> Outcome:
    """Another run settled this publication first: published, or undone (open again)."""
    if status == PERIOD_CLOSED:
        latest = pack_files.latest(session, period)
        return Outcome(period, True, Path(latest.path) if latest else None,
                       "already published")
    return Outcome(period, False, None, (
        f"period {period}: another run undid this close (its pack was lost before it was "
        "published); the month is open again: close it again"))


def _mark_closed(session: Session, row: Period, pack: PackFile) -> None:
    moment = dt.datetime.now(dt.UTC)
    row.status, row.closed_at = PERIOD_CLOSED, moment
    pack.published_at = moment
    record(session, row.closed_by or pack.created_by, "period.close", "period", row.period,
           after={"close": row.close_count, "pack": Path(pack.path).name,
                  "sha256": pack.sha256})
    session.flush()


def _undo(session: Session, row: Period, pack: PackFile) -> str:
    """The close's pack is gone: the month goes back to open with nothing of the close."""
    message = (f"period {row.period}: the pack of close {row.close_count} was lost before "
               "it was published; the close is undone and the month is open again: close "
               "it again")
    pending_path(Path(pack.path)).unlink(missing_ok=True)
    clear_results(session, row.period)
    seal.mark_undone(session, row.period)
    session.delete(pack)
    row.status, row.close_count, row.computed_at = PERIOD_OPEN, row.close_count - 1, None
    record(session, "recovery", "period.close.undone", "period", row.period,
           before={"status": PERIOD_PUBLISHING}, after={"status": PERIOD_OPEN},
           reason=message)
    session.flush()
    return message


def _sync_folder(folder: Path) -> None:
    """The rename survives a power cut once the folder's entry is on disk."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- writing a closed month's pack again -------------------------------------------------


class PackRefused(Conflict):
    """A pack that may not be written (the month is open, its figures broke their seal, the
    target is a published pack)."""


def rewrite_pack(session: Session, period: str, out: Path | None, actor: str, *,
                 default_currency: str, restore: bool = False) -> tuple[Path, str]:
    """Write a closed month's pack again from its frozen figures: (path, what was done).

    Without ``out``: the published file (the month's latest revision), if it is there and
    intact, is left as it is; if it is missing, it is written again (the same figures, the
    close's own time and seal) and its new checksum recorded; if it changed since
    publication, nothing is written unless ``restore``: then the changed file is set aside
    beside it (kept, never deleted: it may be evidence) and the pack written again the same
    way. A workbook's bytes carry the moment it was saved, so the file written again has
    the same cells but a new checksum: it is recorded, and the audit entry
    (``pack.restore``) keeps the old and new checksums and where the changed file went.
    With ``out``: a copy, anywhere but over a published pack. Either way the month must
    still match its seal. Without ``out`` the month's row is locked first (the caller is a
    writer: on SQLite ``BEGIN IMMEDIATE``), so two restores take turns: the second finds
    the file the first wrote, recorded, and leaves it as it is.
    """
    row = session.get(Period, period) if out is not None else lock_period(session, period)
    if row is None or row.close_count == 0:
        raise PackRefused(f"period {period} has never been closed: close it first")
    if row.status != PERIOD_CLOSED:
        raise PackRefused(f"period {period} was reopened and is open: its figures may "
                          "change; close it again to get its pack")
    checked, findings = seal.verify(session, period)
    if findings:
        raise PackRefused(*[f"the figures of {period} no longer match its seal: {f}"
                            for f in findings])
    path, what = _rewrite(session, period, out, actor, default_currency, restore)
    if not checked:
        what += (f" ({period} was closed before seals were kept: its figures were not "
                 "checked against a seal; close it again after a reopen to seal it)")
    return path, what


def _rewrite(session: Session, period: str, out: Path | None, actor: str,
             default_currency: str, restore: bool) -> tuple[Path, str]:
    published = pack_files.latest(session, period)
    if out is not None:
        return _copy(session, period, out, default_currency)
    target = Path(published.path)
    if pack_files.intact(target, published.sha256):
        return target, f"{target.name} is published and intact; it was left as it is"
    if not target.exists():
        _restore(session, published, actor, default_currency,
                 "the published file was missing; written again from the frozen figures")
        return target, (f"{target.name} was missing and is written again from the frozen "
                        "figures")
    if not restore:
        raise PackRefused(f"{target} is not the pack that was published (its checksum "
                          "differs); it is not overwritten. `chargeback pack "
                          f"{period} --restore` sets it aside and writes the pack again "
                          "from the frozen figures; or write a copy with --out")
    aside = _set_aside(target)
    _restore(session, published, actor, default_currency,
             f"the published file had changed (its checksum differed; set aside as "
             f"{aside.name}); written again from the frozen figures",
             changed={"changed_sha256": packs.sha256_of(aside), "set_aside_as": aside.name})
    return target, (f"{target.name} had changed: it is set aside as {aside.name} and the "
                    "pack is written again from the frozen figures (same figures, new "
                    "checksum recorded)")


def _restore(session: Session, published: PackFile, actor: str, default_currency: str,
             reason: str, changed: dict | None = None) -> None:
    """Write the published pack again in place and record its new checksum, audited."""
    target = Path(published.path)
    written = packs.write(session, published.period, target, default_currency)
    record(session, actor, "pack.restore", "pack", target.name,
           before={"sha256": published.sha256, **(changed or {})},
           after={"sha256": written.sha256}, reason=reason)
    published.sha256 = written.sha256
    session.flush()
    failpoint("pack.restore-before-commit")


def _set_aside(target: Path) -> Path:
    """Rename a changed pack file out of the way, beside it, under a name that says when."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = target.with_name(f"{target.name}.changed-{stamp}")
    os.replace(target, aside)
    return aside


def _copy(session: Session, period: str, out: Path, default_currency: str
          ) -> tuple[Path, str]:
    published = {Path(p.path).resolve() for p in pack_files.every(session)}
    if out.resolve() in published:
        raise PackRefused(f"{out} is a published pack: it is never overwritten; write the "
                          "copy somewhere else")
    out.parent.mkdir(parents=True, exist_ok=True)
    packs.write(session, period, out, default_currency)
    return out, f"a copy of the {period} pack is written to {out}"


__all__ = ["PeriodRefused", "close_and_publish", "close_refusal", "finish_interrupted", "publish",
           "rewrite_pack"]
