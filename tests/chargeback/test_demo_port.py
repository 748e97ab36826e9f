"""``chargeback demo`` checks its port before it changes anything."""

from __future__ import annotations

import socket

from sqlalchemy import func, select

from chargeback.demo import DEMO_USERS
from chargeback.models import Period, User
from chargeback.services.users import create_user
from tests.conftest import FAST_HASH


def test_a_taken_port_stops_the_demo_before_it_changes_anything(runner, session):
    email, role, units = next(u for u in DEMO_USERS if not u[2])
    user = create_user(session, email, role, "a long passphrase of mine 42", "test",
                       list(units), hash_method=FAST_HASH)
    session.commit()
    before = user.password_hash
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(args=["demo", "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port}" in result.stderr and f"--port {port + 1}" in result.stderr
    assert "nothing was changed" in result.stderr and len(result.stderr.splitlines()) == 1
    session.expire_all()
    assert session.scalar(select(User.password_hash).where(User.email == email)) == before
    assert session.scalar(select(func.count()).select_from(Period)) == 0
    assert "Sign in with" not in result.stdout
