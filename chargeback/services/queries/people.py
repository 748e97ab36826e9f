"""Users and their API tokens, for sign-in, the profile page and the administration."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from chargeback.models import ApiToken, User
from chargeback.services.queries.listing import (
    Filter,
    ListQuery,
    ListSpec,
    Sort,
    choices,
    select_page,
)
from chargeback.services.queries.sql import Page
from chargeback.vocabulary import ROLES

_STATUS = case((User.active.is_(True), "active"), else_="deactivated")
LIST = ListSpec(
    sorts={"status": Sort("Status", (_STATUS,)),
           "email": Sort("E-mail", (User.email,)),
           "role": Sort("Role", (User.role,)),
           "created": Sort("Created", (User.created_at,))},
    default_sort="status",
    search=(User.email,), search_label="E-mail",
    filters={"role": Filter("Role", choices(ROLES), lambda v: User.role == v),
             "status": Filter("Status", choices(("active", "deactivated")),
                              lambda v: User.active.is_(v == "active"))},
    tiebreak=(User.email, User.id))


def active_user(session: Session, user_id: int) -> User | None:
    """The user a session cookie names, if they may still sign in."""
    user = session.get(User, user_id)
    return user if user is not None and user.active else None


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def page(session: Session, asked: ListQuery) -> Page:
    """Users searched, filtered and sorted as asked; by default active users first, by
    e-mail."""
    return select_page(session, LIST, select(User), asked)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def tokens(session: Session, email: str | None = None) -> list[tuple[ApiToken, str]]:
    """Tokens (of one user, else everyone's) with their owner's e-mail, oldest first."""
    query = select(ApiToken, User.email).join(User, User.id == ApiToken.user_id)
    if email:
        query = query.where(func.lower(User.email) == email.strip().lower())
    return list(session.execute(query.order_by(ApiToken.id)).all())
