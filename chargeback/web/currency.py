"""The currency amounts are shown in: every ``|money`` on a page carries it.

A page of a closed month shows that month's own currency (the one its close kept: a later
change of the setting never relabels frozen figures); a view says which month it shows
with ``for_period``. Any other page shows the holding company's currency today (central
IT's setting, else ``CHARGEBACK_CURRENCY``). Read once per request.
"""

from __future__ import annotations

from flask import current_app, g

from chargeback.extensions import db
from chargeback.services import settings
from chargeback.services.queries.periods import currency_of
from chargeback.web.formatting import money, number


def _default() -> str:
    return current_app.config["CHARGEBACK_CURRENCY"]


def page_currency() -> str:
    if "money_currency" not in g:
        g.money_currency = settings.currency(db.session, _default())
    return g.money_currency


def for_period(period: str | None) -> str:
    """Show this page's amounts in ``period``'s currency (the configured one when None)."""
    g.money_currency = (currency_of(db.session, period, _default()) if period
                        else settings.currency(db.session, _default()))
    return g.money_currency


def money_filter(value, currency: str | None = None) -> str:
    """The ``|money`` filter: an amount with two decimals and the page's currency."""
    return money(value, currency or page_currency())


def price_filter(value, currency: str | None = None) -> str:
    """The ``|price`` filter: a rate per unit of measure, as exact as it was set (up to six
    decimals, 0.0375), with the page's currency."""
    if value is None:
        return "—"
    return f"{number(value)}\u00a0{currency or page_currency()}"
