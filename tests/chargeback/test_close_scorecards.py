"""The close reads every unit's scorecard in force at once (``scorecards.all_in_force``):
for each unit and month it is the version ``scorecards.in_force`` picks one unit at a time,
with its criteria, among approved, draft, later and replaced versions."""

from __future__ import annotations

import json

from sqlalchemy import select

from chargeback.models import Unit
from chargeback.services import scorecards
from chargeback.services.scorecards import all_in_force as scorecards_in_force
from tests.chargeback.test_close_end_to_end import DATA, load_company

MONTHS = ("2025-12", "2026-01", "2026-03", "2026-04", "2026-05", "2026-07")


def version(session, unit: str, effective_from: str, status: str, weight: str) -> None:
    """ALT's scorecard from ``effective_from``, its first weight changed to tell it apart."""
    card = json.loads((DATA / "scorecard-ALT.json").read_text())
    card |= {"unit": unit, "effective_from": effective_from}
    card["criteria"][0]["weight"] = weight
    scorecards.save_version(session, card, "test", status=status)


def test_every_unit_in_one_go_is_each_unit_alone(runner, session):
    load_company(runner)  # WW from 2026-01 and 2026-04, ALT and LAB from 2026-01, DC none
    version(session, "ALT", "2026-05", "approved", "5")
    version(session, "ALT", "2026-05", "approved", "6")  # the same month again: it wins
    version(session, "ALT", "2026-04", "draft", "7")  # never in force
    version(session, "DC", "2026-07", "approved", "8")  # in force from July only
    session.commit()
    units = session.scalars(select(Unit).order_by(Unit.code)).all()
    for month in MONTHS:
        found = scorecards_in_force(session, month)
        alone = {u.id: scorecards.in_force(session, u.id, month) for u in units}
        assert found == {uid: v for uid, v in alone.items() if v is not None}, month
        for uid, v in found.items():
            assert [c.key for c in v.criteria] == [c.key for c in alone[uid].criteria]
    weights = {u.code: scorecards_in_force(session, "2026-07")[u.id].criteria[0].weight
               for u in units if u.code in ("ALT", "DC")}
    assert weights == {"ALT": 6, "DC": 8}
    assert not any(u.code == "DC" for u in units
                   if u.id in scorecards_in_force(session, "2026-06"))
