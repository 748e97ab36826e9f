"""The JSON API under /api/v1 (being built)."""

from flask import Flask


def register_api(app: Flask) -> None:
    """Bind flask-smorest and register the API blueprints."""
