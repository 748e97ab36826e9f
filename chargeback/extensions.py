"""Flask extensions, created unbound; ``create_app`` binds them with ``init_app``.

``db`` is made at import: every command and page uses it. The others are made on first use
(PEP 562's module ``__getattr__``): a command that neither serves pages nor migrates
(``create_app(web=False)``) never imports Flask-Login, Flask-WTF, Flask-Limiter,
Flask-Talisman or Flask-Migrate (which brings Alembic), and so starts faster.
``from chargeback.extensions import login`` works as before: it makes ``login`` then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask_sqlalchemy import SQLAlchemy

from chargeback.models.base import Base

db = SQLAlchemy(model_class=Base)


def _migrate():
    from flask_migrate import Migrate

    return Migrate()


def _login():
    from flask_login import LoginManager

    return LoginManager()


def _csrf():
    from flask_wtf import CSRFProtect

    return CSRFProtect()


def _limiter():
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    return Limiter(key_func=get_remote_address, default_limits=[])


def _talisman():
    from flask_talisman import Talisman

    return Talisman()


_MAKERS: dict[str, Callable[[], object]] = {
    "migrate": _migrate, "login": _login, "csrf": _csrf, "limiter": _limiter,
    "talisman": _talisman,
}
_making = threading.Lock()  # two threads' first use make one extension, not two


def __getattr__(name: str):
    maker = _MAKERS.get(name)
    if maker is None:
        raise AttributeError(f"module 'chargeback.extensions' has no attribute {name!r}")
    with _making:
        if name not in globals():
            globals()[name] = maker()
    return globals()[name]
