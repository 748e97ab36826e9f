"""The unit tree as it is today: its units, their order and their subtrees.

A closed month's tree is its snapshot (``closed_month``); this is the live tree, for what
is about today: the units list, the administration, a user's unit scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chargeback.models import Consumer, ServiceModel, Unit
from rules.tree import subtree, tree_order


def unit_by_code(session: Session, code: str) -> Unit | None:
    """The unit with that code; None for one no unit could have (too long, NUL, ...)."""
    if not plausible_code(code):
        return None
    return session.scalar(select(Unit).where(Unit.code == code))


def plausible_code(code: str) -> bool:
    """A code a unit could have; others are not even looked up (PostgreSQL refuses NUL)."""
    return isinstance(code, str) and 0 < len(code) <= 64 and code.isprintable()


def parents(session: Session) -> dict[str, str | None]:
    """Unit code -> its parent's code, today."""
    units = session.execute(select(Unit.id, Unit.code, Unit.parent_id)).all()
    code_of = {uid: code for uid, code, _ in units}
    return {code: code_of.get(parent) for _, code, parent in units}


def subtree_codes(session: Session, codes: set[str]) -> set[str]:
    """The given units and every unit below them, today."""
    tree = parents(session)
    found: set[str] = set()
    for code in codes:
        found |= subtree(tree, code)
    return found


def ids_of(session: Session, codes: set[str]) -> set[int]:
    if not codes:
        return set()
    return set(session.scalars(select(Unit.id).where(Unit.code.in_(codes))))


@dataclass(frozen=True)
class Placed:
    """A unit with its depth and parent's code in the tree's one order."""

    unit: Unit
    depth: int
    parent: str | None


def ordered(session: Session, visible: set[str] | None = None, *,
            active: bool | None = None) -> list[Placed]:
    """Units in tree order (depth first, children by code), cut to ``visible`` codes (a
    unit head's units and below: depth then counts from their own units).

    ``active`` keeps only active (True) or retired (False) units; depths stay the tree's,
    so a unit never changes place because another was retired.
    """
    units = {u.code: u for u in session.scalars(select(Unit))}
    code_of = {u.id: code for code, u in units.items()}
    tree = {code: code_of.get(u.parent_id) for code, u in units.items()}
    shown = {code: tree[code] for code in units if visible is None or code in visible}
    return [Placed(units[code], depth, tree[code]) for code, depth in tree_order(shown)
            if active is None or units[code].active == active]


def depth_of(session: Session, code: str) -> int:
    """How far below the root of the whole tree a unit is."""
    return dict(tree_order(parents(session))).get(code, 0)


def service_models(session: Session) -> list[ServiceModel]:
    """Built-in models first, then the holding company's own, by code."""
    return list(session.scalars(select(ServiceModel).order_by(ServiceModel.builtin.desc(),
                                                              ServiceModel.code)))


def service_model_names(session: Session) -> dict[str, str]:
    """Service model code -> the name people read, today, by code."""
    return dict(session.execute(select(ServiceModel.code, ServiceModel.name)
                                .order_by(ServiceModel.code)).all())


def consumers(session: Session) -> list[tuple[Consumer, str | None]]:
    """Every consumer by code, with the code of the unit it is (if any), today."""
    return list(session.execute(select(Consumer, Unit.code)
                                .outerjoin(Unit, Unit.id == Consumer.unit_id)
                                .order_by(Consumer.code)).all())


def unit_counts(session: Session) -> tuple[int, int]:
    """(active units, retired units)."""
    rows = dict(session.execute(select(Unit.active, func.count()).group_by(Unit.active)).all())
    return rows.get(True, 0), rows.get(False, 0)


def models_in_use(session: Session) -> dict[str, int]:
    """Service model code -> how many units follow it."""
    return dict(session.execute(select(Unit.service_model_code, func.count())
                                .group_by(Unit.service_model_code)).all())


def service_model(session: Session, code: str) -> ServiceModel | None:
    return session.get(ServiceModel, code)
