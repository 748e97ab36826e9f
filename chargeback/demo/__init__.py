"""The demo holding company: data files shipped in ``demo/data``, loaded in contract order,
then its scorecards and allocation rules, then every month closed with its pack.

Running it again is safe: imported files are recognised, stored scorecards and rules are
kept, closed months stay closed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

DATA_DIR = Path(__file__).parent / "data"
# Reference data first (units before what names them), then the months' figures.
IMPORT_ORDER = ("units", "consumers", "services", "offerings", "sla_targets", "rates",
                "dependencies", "spend", "budget", "metrics", "sla_results", "usage", "drivers")
DEMO_ACTOR = "demo"

Echo = Callable[[str], None]


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def load_demo_data(session, echo: Echo) -> None:
    """Import every demo file; a file already imported is recognised and skipped. The demo
    users are made after the units (their scopes) and before the services, which they own
    (``services.csv``, ``owner_email``)."""
    from chargeback.services.importing import import_file

    for kind in IMPORT_ORDER:
        if kind == "services":
            ensure_demo_accounts(session)
        path = DATA_DIR / f"{kind}.csv"
        with path.open("rb") as stream:
            result = import_file(session, kind, stream, path.name, DEMO_ACTOR)
        if not result.ok:
            raise RuntimeError("the demo data is refused:\n" + "\n".join(result.errors[:20]))
        echo(result.summary())


def load_demo_scorecards(session, echo: Echo) -> None:
    """Approve each unit's scorecards in date order, unless the unit already has versions."""
    from chargeback.models import ScorecardVersion, Unit
    from chargeback.services.scorecards import save_version

    files = sorted((DATA_DIR / "scorecards").glob("*.json"),
                   key=lambda p: (_json(p)["unit"], _json(p)["effective_from"]))
    stored = set(session.scalars(select(Unit.code).join(
        ScorecardVersion, ScorecardVersion.unit_id == Unit.id)))
    for path in files:
        data = _json(path)
        if data["unit"] in stored:
            continue
        result = save_version(session, data, DEMO_ACTOR, status="approved", source=path.name)
        echo(f"scorecard {path.name}: version {result.version.version} approved from "
             f"{result.version.effective_from}")


def load_demo_variability(session, echo: Echo) -> None:
    """State the demo services' stances on variability (``data/variability.csv``), unit by
    unit, unless the unit already has stances stated (a user's, or an earlier run's)."""
    import csv
    from itertools import groupby

    from chargeback.models import Service, ServiceVariability, Unit
    from chargeback.services.variability import Statement, state

    with (DATA_DIR / "variability.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    units = dict(session.execute(select(Service.code, Unit.code).join(
        Unit, Unit.id == Service.unit_id)).all())
    stated = set(session.scalars(select(Unit.code).join(Service, Service.unit_id == Unit.id)
                                 .join(ServiceVariability,
                                       ServiceVariability.service_id == Service.id)))
    for code, group in groupby(sorted(rows, key=lambda r: units[r["service_code"]]),
                               key=lambda r: units[r["service_code"]]):
        if code in stated:
            continue
        said = [Statement(service=r["service_code"], kind=r["kind"], stance=r["stance"],
                          note=r["note"] or None, field=f"{r['service_code']} ")
                for r in group]
        unit = session.scalar(select(Unit).where(Unit.code == code))
        echo(f"variability {code}: {state(session, unit, said, DEMO_ACTOR)} stance(s) stated")


def load_demo_rules(session, echo: Echo) -> None:
    from chargeback.models import AllocationRuleSet, Unit
    from chargeback.services.allocation_rules import save_rules

    stored = set(session.scalars(select(Unit.code).join(
        AllocationRuleSet, AllocationRuleSet.unit_id == Unit.id)))
    for path in sorted((DATA_DIR / "rules").glob("*.json")):
        data = _json(path)
        if data["unit"] in stored:
            continue
        rule_set = save_rules(session, data, DEMO_ACTOR)
        echo(f"rules {path.name}: {len(rule_set.rules)} rule(s) from {rule_set.effective_from}")


def demo_months() -> list[str]:
    """The months the demo's spend file covers: the ones the demo closes."""
    import csv

    with (DATA_DIR / "spend.csv").open(encoding="utf-8", newline="") as stream:
        return sorted({row["period"] for row in csv.DictReader(stream)})


def close_demo_months(echo: Echo, pack_dir: Path, default_currency: str) -> list[Path]:
    """Close the demo's months in order (each close commits on its own); months a user
    added since are left to them."""
    from chargeback.extensions import db
    from chargeback.refusals import Refused
    from chargeback.services.publication import close_and_publish
    from chargeback.services.queries import packs, periods

    paths = []
    for month in demo_months():
        period = periods.period(db.session, month)
        if period is None:
            continue
        if period.status != "closed":
            try:
                path = close_and_publish(db.session, month, DEMO_ACTOR, pack_dir=pack_dir,
                                         default_currency=default_currency)
            except Refused as exc:  # a month a user reopened and changed: theirs now
                echo(f"left {month} open: {exc}")
                continue
            echo(f"closed {month}: {path}")
        else:
            pack = packs.latest(db.session, month)
            if pack is None:
                continue
            path = Path(pack.path)
        paths.append(path)
    return paths


DEMO_USERS = (  # e-mail, role, units in scope
    ("admin@demo.example", "admin", ()),
    ("central-it@demo.example", "central_it", ()),
    ("finance@demo.example", "finance", ()),
    ("alt-head@demo.example", "unit_head", ("ALT",)),
    ("rnd-head@demo.example", "unit_head", ("RND",)),
)


def ensure_demo_accounts(session) -> None:
    """Each demo user that does not exist yet, with a password nobody is told (the demo
    gives every user a fresh one at the end, ``ensure_demo_users``)."""
    from chargeback.models import User
    from chargeback.services.users import create_user, generate_password

    known = {e.lower() for e in session.scalars(select(User.email))}
    for email, role, units in DEMO_USERS:
        if email not in known:
            create_user(session, email, role, generate_password(), DEMO_ACTOR, list(units))
    session.commit()


def ensure_demo_users(session, echo: Echo, hash_method: str = "scrypt"
                      ) -> list[tuple[str, str, str]]:
    """One user per role, each with a fresh password printed for this run only."""
    from chargeback.models import User
    from chargeback.services.users import create_user, generate_password, set_password

    logins = []
    for email, role, units in DEMO_USERS:
        password = generate_password()
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            create_user(session, email, role, password, DEMO_ACTOR, list(units),
                        hash_method=hash_method)
        else:
            set_password(session, user, password, DEMO_ACTOR, hash_method=hash_method)
        logins.append((email, role, password))
    session.commit()
    return logins


def run_demo(echo: Echo, pack_dir: Path, default_currency: str) -> list[Path]:
    """Migrate the configured database, load the demo company, close its months."""
    from flask import current_app
    from flask_migrate import upgrade

    from chargeback import bind_migrations
    from chargeback.extensions import db

    bind_migrations(current_app._get_current_object())  # not bound at start-up: Alembic is slow
    upgrade()
    load_demo_data(db.session, echo)
    db.session.commit()
    load_demo_scorecards(db.session, echo)
    load_demo_rules(db.session, echo)
    load_demo_variability(db.session, echo)
    db.session.commit()
    packs = close_demo_months(echo, pack_dir, default_currency)
    echo(f"The demo holding company is loaded and {len(packs)} months are closed.")
    if packs:
        echo(f"Monthly packs for finance are in {packs[-1].parent}")
    return packs
