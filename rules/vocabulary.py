"""The product's words, defined once: every layer imports them from here.

The database's check constraints, the import files' validation, the API's schemas, the web
forms, the pack and the rules themselves all speak these words; a word defined twice is a
word that can disagree with itself. Scoring methods are not listed here but in their own
registry (``rules.methods``), because a method is more than a word: it is how a value
becomes a score.
"""

from __future__ import annotations

import re

# --- periods --------------------------------------------------------------------------

PERIOD_PATTERN = r"(?:19[0-9]{2}|2[0-9]{3})-(?:0[1-9]|1[0-2])"
"""A month, ``YYYY-MM`` from 1900-01 to 2999-12 (the range the database's check keeps);
unanchored, for URL converters and fullmatch."""
PERIOD_ANCHORED = f"^{PERIOD_PATTERN}$"
"""The same, anchored, for JSON Schema and form validators."""
PERIOD_HINT = "write YYYY-MM, e.g. 2026-03"
FIRST_PERIOD, LAST_PERIOD = "1900-01", "2999-12"
"""The months the product keeps (``models.base.period_check``)."""

_PERIOD = re.compile(PERIOD_PATTERN)
_PERIOD_SHAPE = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")


def is_period(value: object) -> bool:
    """True for a ``YYYY-MM`` text with a month 01..12 and a year 1900..2999 (ASCII digits)."""
    return isinstance(value, str) and _PERIOD.fullmatch(value) is not None


def period_out_of_range(value: object) -> bool:
    """True for a well-formed ``YYYY-MM`` whose year is outside 1900..2999 (``3000-01``): a
    month, but not one the product keeps."""
    return (isinstance(value, str) and _PERIOD_SHAPE.fullmatch(value) is not None
            and not is_period(value))


def period_problem(value: object) -> str | None:
    """Why ``value`` is not a period the product keeps, in words for whoever typed it (None:
    it is one). A well-formed month outside the range is told the range, not the form it
    is already in. The web forms, the API and the command line all say it this way."""
    if is_period(value):
        return None
    if period_out_of_range(value):
        return f"'{value}' is outside the periods kept ({FIRST_PERIOD} to {LAST_PERIOD})"
    return f"'{value}' is not a period: {PERIOD_HINT}"


MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


def month_after(period: str) -> str:
    """``2026-12`` -> ``2027-01``."""
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def month_before(period: str) -> str:
    """``2027-01`` -> ``2026-12``."""
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


# --- scoring --------------------------------------------------------------------------

DIRECTIONS = ("higher", "lower")
BAND_LIMITS = ("exceeds", "meets", "watch")
"""The bands with a lower limit (a holding-wide setting), best first."""
BANDS = (*BAND_LIMITS, "below", "unrated")
"""Every band an attainment can fall in: the limited ones, ``below`` and ``unrated``."""

NAME_PATTERN = r"[a-z][a-z0-9_]*"
"""Measure and driver names: lower-case letters, digits and ``_``, starting with a letter."""
_NAME = re.compile(NAME_PATTERN)


def is_name(value: object) -> bool:
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


PERCENT_MEASURES = ("availability",)
"""Service level measures that are percentages by name, besides any ending in ``_pct``:
a value outside 0..100 is refused (docs/catalog.md, "What a measure's name says")."""
DURATION_SUFFIXES = ("_seconds", "_minutes", "_hours", "_days")
"""A service level measure whose name ends in one of these is a time (a response, a
resolution, a restore): a negative value is refused."""


def sla_value_problem(measure: str, value) -> str | None:
    """Why ``value`` cannot be a result or target of ``measure`` (a ``Decimal``), or None.

    The name says the unit, so the rule stays simple: ``availability`` and ``*_pct`` are
    percentages (0 to 100), ``*_hours``, ``*_minutes``, ``*_days`` and ``*_seconds`` are
    times (not negative); any other measure takes any number."""
    if measure in PERCENT_MEASURES or measure.endswith("_pct"):
        if not 0 <= value <= 100:
            return f"{value} is not a percentage: {measure} must be from 0 to 100"
    elif measure.endswith(DURATION_SUFFIXES) and value < 0:
        return f"{value} is negative: {measure} is a time and cannot be below 0"
    return None


SLA_PREFIX = "sla."
"""Service level measures: ``sla.SERVICE.measure`` (a result for the whole service) and
``sla.SERVICE.OFFERING.measure`` (one offering's result), docs/catalog.md."""
SLA_SERVICE_PATTERN = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
"""A service code a criterion can name: ASCII letters, digits, ``_`` and inner ``-``
(``ALT-HPC``). A code with other characters (a dot, a space) has no ``sla.`` names."""
SLA_NAME_PATTERN = (rf"sla\.(?P<service>{SLA_SERVICE_PATTERN})"
                    rf"\.(?:(?P<offering>{NAME_PATTERN})\.)?(?P<measure>{NAME_PATTERN})")
_SLA_NAME = re.compile(SLA_NAME_PATTERN)
_SLA_SERVICE = re.compile(SLA_SERVICE_PATTERN)


def sla_name(service: str, offering: str | None, measure: str) -> str | None:
    """The measure name of a service level result: ``sla.ALT-HPC.availability`` for the
    whole service (``offering`` None or empty), ``sla.ALT-HPC.priority.response_hours``
    for one offering; None when the service's code cannot be named in a criterion."""
    if _SLA_SERVICE.fullmatch(service) is None:
        return None
    return f"{SLA_PREFIX}{service}.{offering}.{measure}" if offering else \
        f"{SLA_PREFIX}{service}.{measure}"


def sla_parts(value: str) -> tuple[str, str | None, str] | None:
    """(service, offering or None, measure) of a service level name, else None."""
    found = _SLA_NAME.fullmatch(value)
    return None if found is None else (found["service"], found["offering"], found["measure"])


def is_sla_name(value: object) -> bool:
    return isinstance(value, str) and _SLA_NAME.fullmatch(value) is not None


def is_measure_name(value: object) -> bool:
    """A name a criterion may read: a plain measure name or a service level name."""
    return is_name(value) or is_sla_name(value)


LEDGER_MEASURES = ("spend", "budget", "charged")
"""Measures every unit has from the ledger (scoring.md "Measure")."""
LEDGER_PREFIXES = ("spend_pool_", "spend_tower_")
"""Families of ledger measures: one per cost pool and per tower seen in the ledger."""


ENVELOPE_MEASURES = ("envelope", "envelope_spent", "runway_months")
"""Measures a venture's funding envelope gives (``rules.envelope``), from the ledger too."""
VENTURE = "venture"
"""The built-in service model whose budget is a funding envelope over the fiscal year."""


def is_ledger_measure(name: str) -> bool:
    """A name the ledger gives (``spend``, ``spend_pool_labor``, a venture's
    ``runway_months``): never imported as a metric."""
    return (name in LEDGER_MEASURES or name in ENVELOPE_MEASURES
            or name.startswith(LEDGER_PREFIXES))


# --- allocation -----------------------------------------------------------------------

BILLING_MODES = ("chargeback", "showback")
CHARGE_METHODS = ("usage", "driver", "fixed")
RULE_METHODS = ("driver", "fixed")
"""How an allocation rule shares an amount (rated usage is not a rule)."""

POOL_ALL = "all"
POOL_UNRECOVERED = "unrecovered"
POOL_INTERNAL = "internal"
RESERVED_POOLS = (POOL_INTERNAL, POOL_ALL, POOL_UNRECOVERED)
"""Cost pool codes allocation rules give a meaning of their own; refused in spend files."""
