"""Pack files: the list, the latest of a month, and a file checked against its checksum."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from chargeback.models import PackFile, Period
from chargeback.refusals import Conflict, NotFound
from chargeback.services.packs import sha256_of
from chargeback.services.queries.listing import (
    Filter,
    ListQuery,
    ListSpec,
    Sort,
    choices,
    select_page,
)
from chargeback.services.queries.sql import Page
from chargeback.vocabulary import PACK_KINDS, PERIOD_CLOSED

LIST = ListSpec(
    sorts={"period": Sort("Period", (PackFile.period,)),
           "published": Sort("Published at", (PackFile.published_at,)),
           "by": Sort("Written by", (PackFile.created_by,))},
    default_sort="period", default_dir="desc",
    search=(PackFile.period, PackFile.created_by), search_label="Period or person",
    filters={"kind": Filter("Kind", choices(PACK_KINDS), lambda v: PackFile.kind == v)},
    tiebreak=(PackFile.period.desc(), PackFile.kind, PackFile.revision.desc(),
              PackFile.id.desc()))


class PackMissing(NotFound):
    """The file of a recorded pack is no longer on the server."""


class PackChanged(Conflict):
    """The file of a recorded pack is no longer the file that was published."""


def _listed():
    return _published().order_by(PackFile.period.desc(), PackFile.kind,
                                 PackFile.revision.desc())


def _published():
    return select(PackFile).where(PackFile.published_at.is_not(None))


def page(session: Session, asked: ListQuery) -> Page:
    """Published packs searched, filtered and sorted as asked; by default newest month
    first, final revisions (latest first) then the provisional draft."""
    return select_page(session, LIST, _published(), asked)


def by_period(items: list[PackFile]) -> list[tuple[str, list[PackFile]]]:
    return [(period, list(rows)) for period, rows in groupby(items, key=lambda p: p.period)]


def every(session: Session, period: str | None = None) -> list[PackFile]:
    query = _listed()
    if period:
        query = query.where(PackFile.period == period)
    return list(session.scalars(query))


def pack(session: Session, pack_id: int) -> PackFile:
    found = session.get(PackFile, pack_id)
    if found is None or found.published_at is None:
        raise NotFound(f"There is no pack {pack_id}.")
    return found


def latest(session: Session, period: str) -> PackFile | None:
    """The latest published final revision of a month."""
    return session.scalar(select(PackFile).where(
        PackFile.period == period, PackFile.kind == "final",
        PackFile.published_at.is_not(None)).order_by(PackFile.revision.desc()).limit(1))


def latest_revisions(session: Session, periods: list[str]) -> dict[str, int]:
    """Period -> the revision number of its latest published final pack (the one in force;
    the Packs page marks it, whatever page of the list the others are on)."""
    if not periods:
        return {}
    return dict(session.execute(
        select(PackFile.period, func.max(PackFile.revision)).where(
            PackFile.period.in_(periods), PackFile.kind == "final",
            PackFile.published_at.is_not(None)).group_by(PackFile.period)).all())


def unpublished(session: Session, period: str) -> PackFile | None:
    """The final pack a close wrote and has not published yet."""
    return session.scalar(select(PackFile).where(
        PackFile.period == period, PackFile.kind == "final", PackFile.published_at.is_(None))
        .order_by(PackFile.revision.desc()).limit(1))


def provisional(session: Session, period: str) -> PackFile | None:
    return session.scalar(select(PackFile).where(PackFile.period == period,
                                                 PackFile.kind == "provisional"))


def on_server(pack_file: PackFile) -> bool:
    return Path(pack_file.path).is_file()


def intact(path: Path, sha256: str) -> bool:
    """The file is there and is the file that was recorded (checksum read in chunks)."""
    return path.is_file() and sha256_of(path) == sha256


def recovery(pack_file: PackFile) -> str:
    """What central IT can do about a pack whose file is missing or changed. Only the
    latest final revision of a closed month can be written again: its figures are the ones
    frozen now. An earlier revision's were replaced by a later close, and a provisional
    draft is written again by the next draft run."""
    period = pack_file.period
    if pack_file.kind != "final":
        return ("It is a provisional draft: the next provisional pack run (Jobs page) writes "
                "it again.")
    session = object_session(pack_file)
    newest = latest(session, period)
    if newest is None or newest.id != pack_file.id:
        return (f"It is an earlier revision: {period} was closed again since, so its figures "
                "are not on the server any more; put the file back from a backup (its "
                f"checksum is {pack_file.sha256}).")
    month = session.get(Period, period)
    if month is None or month.status != PERIOD_CLOSED:
        return (f"{period} is reopened for corrections, so its pack cannot be written again "
                "now: its next close writes the next revision; or put this file back from "
                f"a backup (its checksum is {pack_file.sha256}).")
    return (f"Central IT can write it again from the frozen figures with `chargeback pack "
            f"{period} --restore`; `chargeback verify {period}` names every missing or "
            "changed pack file.")


def verified_file(pack_file: PackFile) -> Path:
    """The pack's file, checked against the checksum recorded when it was written; a
    missing or changed file is refused with what to do about it."""
    path = Path(pack_file.path)
    problem = file_problem(pack_file)
    if problem == "missing":
        raise PackMissing(
            f"The pack {path.name} (period {pack_file.period}, revision "
            f"{pack_file.revision}) is recorded but its file is no longer on the server. "
            + recovery(pack_file), kind="pack")
    if problem == "changed":
        raise PackChanged(
            f"The file of the pack {path.name} is not the file that was published: its "
            "checksum differs. It is not served. " + recovery(pack_file), kind="pack")
    return path


def file_problem(pack_file: PackFile) -> str | None:
    """``missing``, ``changed`` (its checksum differs from the one recorded) or None."""
    path = Path(pack_file.path)
    if not path.is_file():
        return "missing"
    return None if sha256_of(path) == pack_file.sha256 else "changed"


@dataclass(frozen=True)
class FileFinding:
    """A published pack whose file is not the one recorded, with what to do about it."""

    pack: PackFile
    problem: str

    def __str__(self) -> str:
        p = self.pack
        return (f"{p.period}: pack {Path(p.path).name} ({p.kind}, revision {p.revision}) "
                f"is {self.problem} on the server. {recovery(p)}")


def check_files(session: Session, period: str | None = None
                ) -> tuple[list[PackFile], list[FileFinding]]:
    """Every published final pack of ``period`` (or of every month) read against its
    recorded checksum: (the packs checked, those missing or changed). A provisional draft
    is left out: the nightly run rewrites it in place and records its checksum after, so
    between the two a check would raise a false alarm, and it holds no booked figure."""
    checked = [p for p in every(session, period) if p.kind == "final"]
    return checked, [FileFinding(p, problem) for p in checked
                     if (problem := file_problem(p)) is not None]
