"""Flask extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from __future__ import annotations

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from chargeback.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
