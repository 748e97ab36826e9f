"""The demo holding company: data files shipped in ``demo/data``, loaded in contract order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
# Reference data first (units before what names them), then the months' figures.
IMPORT_ORDER = ("units", "consumers", "services", "rates", "spend", "budget", "metrics",
                "usage", "drivers")
DEMO_ACTOR = "demo"


def load_demo_data(session, echo: Callable[[str], None]) -> None:
    """Import every demo file; a file already imported is recognised and skipped."""
    from chargeback.services.importing import import_file

    for kind in IMPORT_ORDER:
        path = DATA_DIR / f"{kind}.csv"
        with path.open("rb") as stream:
            result = import_file(session, kind, stream, path.name, DEMO_ACTOR)
        if not result.ok:
            raise RuntimeError("the demo data is refused:\n" + "\n".join(result.errors[:20]))
        echo(result.summary())


def run_demo(echo: Callable[[str], None]) -> None:
    """Migrate the configured database, load the demo company, and report what is there."""
    from flask_migrate import upgrade

    from chargeback.extensions import db

    upgrade()
    load_demo_data(db.session, echo)
    db.session.commit()
    echo("The demo holding company is loaded.")
