"""Configuration comes from the environment; the secret key is generated once, never a constant."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from chargeback import config, create_app


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.from_environment(str(tmp_path))["SECRET_KEY"]
    second = config.from_environment(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").read_text() == first
    other = tmp_path / "other"
    assert config.from_environment(str(other))["SECRET_KEY"] != first


def test_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("CHARGEBACK_PACK_DIR", "/srv/packs")
    settings = config.from_environment(str(tmp_path))
    assert settings["SECRET_KEY"] == "from-env"
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert settings["CHARGEBACK_PACK_DIR"] == "/srv/packs"


def test_defaults_live_in_the_instance_folder(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "CHARGEBACK_PACK_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k")
    settings = config.from_environment(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'chargeback.db'}"
    assert settings["CHARGEBACK_PACK_DIR"] == str(tmp_path / "packs")


def test_create_app_has_no_side_effects(tmp_path):
    db_file = tmp_path / "untouched.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}", "SECRET_KEY": "k"})
    from chargeback.extensions import db

    with app.app_context():
        assert inspect(db.engine).get_table_names() == []  # no migration ran
    assert not (tmp_path / "packs").exists()


def test_fiscal_year_start_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("CHARGEBACK_FISCAL_YEAR_START", raising=False)
    assert config.from_environment(str(tmp_path))["CHARGEBACK_FISCAL_YEAR_START"] == 1
    monkeypatch.setenv("CHARGEBACK_FISCAL_YEAR_START", " 4 ")
    assert config.default_fiscal_year_start() == 4
    for bad in ("0", "13", "April", "٤", "1.0"):
        monkeypatch.setenv("CHARGEBACK_FISCAL_YEAR_START", bad)
        with pytest.raises(ValueError, match="CHARGEBACK_FISCAL_YEAR_START must be a month"):
            config.from_environment(str(tmp_path))


def test_input_limits_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    defaults = config.from_environment(str(tmp_path))
    assert defaults["MAX_CONTENT_LENGTH"] == 512 * 1024 * 1024
    assert (defaults["CHARGEBACK_IMPORT_MAX_CELL_CHARS"], defaults["CHARGEBACK_XLSX_MAX_BYTES"],
            defaults["CHARGEBACK_XLSX_MAX_ROWS"], defaults["CHARGEBACK_XLSX_MAX_CELLS"]) == (
        32_767, 256 * 1024 * 1024, 1_048_576, 4_000_000)
    assert (defaults["CHARGEBACK_JSON_MAX_BYTES"], defaults["CHARGEBACK_JSON_MAX_DEPTH"],
            defaults["CHARGEBACK_MAX_CRITERIA"]) == (8 * 1024 * 1024, 32, 50)
    monkeypatch.setenv("CHARGEBACK_UPLOAD_MAX_BYTES", "1_000_000")
    monkeypatch.setenv("CHARGEBACK_MAX_CRITERIA", "80")
    settings = config.from_environment(str(tmp_path))
    assert settings["MAX_CONTENT_LENGTH"] == 1_000_000
    assert settings["CHARGEBACK_MAX_CRITERIA"] == 80
    for name, value in (("CHARGEBACK_XLSX_MAX_ROWS", "0"), ("CHARGEBACK_JSON_MAX_DEPTH", "-1"),
                        ("CHARGEBACK_MAX_CRITERIA", "5000"), ("CHARGEBACK_JSON_MAX_BYTES", "1e6")):
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match=name):
            config.from_environment(str(tmp_path))
        monkeypatch.delenv(name)
