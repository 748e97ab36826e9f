"""Customer-introduced variability (Frances Frei): what a service reduces and what it
accommodates.

Customers bring five kinds of variability into a service: when they arrive (``arrival``),
what they ask for (``request``), how able they are to do their part (``capability``), how
much effort they put in (``effort``) and what each of them thinks good service is
(``subjective_preference``). For each service, a unit either *reduces* a kind (standard
images, booking slots, self-service) or *accommodates* it (any software a researcher asks
for, staff for the peaks, doing the customer's part for them). Accommodating costs more to
serve than reducing, which is why two units that spend differently may both be doing what
their service model asks of them.

Each built-in service model's template proposes the usual stance: operational excellence
reduces every kind (sameness is its yardstick), customer intimacy accommodates every kind
(tailoring is its yardstick). Product leadership and ventures accommodate what customers
ask for and what they prefer, since new capability is learned from exactly that, and
reduce the rest: a release ships on its cadence to users who serve themselves, and a
venture's small team cannot staff for peaks or do the customer's part. A unit's own
statement for a service always wins over the proposal; a proposal is shown as one.

``contrast`` tells two services' stances apart in plain sentences, for the compare page
and the pack's ``Why they differ``. It is pure: the stances come in, words come out. What
it says of cost rests on the cost of one unit of service (a seat-month), never on total
spend: a unit twice the size spends more whatever its stances, so a total says nothing of
variability. When the two services are not each unit's main service in one unit of
measure, no cost is compared and no cause is claimed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rules.money import CONTEXT

ARRIVAL, REQUEST, CAPABILITY, EFFORT, PREFERENCE = (
    "arrival", "request", "capability", "effort", "subjective_preference")
KINDS = (ARRIVAL, REQUEST, CAPABILITY, EFFORT, PREFERENCE)
KIND_WORDS = {ARRIVAL: "arrival", REQUEST: "request", CAPABILITY: "capability",
              EFFORT: "effort", PREFERENCE: "subjective preference"}
KIND_MEANS = {
    ARRIVAL: "when customers come, and how many at once",
    REQUEST: "what customers ask for",
    CAPABILITY: "how able customers are to do their part",
    EFFORT: "how much effort customers are willing to put in",
    PREFERENCE: "what each customer thinks good service is",
}

REDUCE, ACCOMMODATE = "reduce", "accommodate"
STANCES = (REDUCE, ACCOMMODATE)
STATED, PROPOSED = "stated", "template"
SOURCES = (STATED, PROPOSED)
"""Where a stance comes from: the unit's statement, or its service model's template."""

ZERO = Decimal(0)
NOTE_LENGTH = 200
"""A note says how, in a few words ("three standard images"), not an essay."""

_ALL_REDUCE = dict.fromkeys(KINDS, REDUCE)
_ALL_ACCOMMODATE = dict.fromkeys(KINDS, ACCOMMODATE)
_NEW_CAPABILITY = {ARRIVAL: REDUCE, REQUEST: ACCOMMODATE, CAPABILITY: REDUCE, EFFORT: REDUCE,
                   PREFERENCE: ACCOMMODATE}

PROPOSALS: dict[str, dict[str, str]] = {
    "operational_excellence": _ALL_REDUCE,
    "customer_intimacy": _ALL_ACCOMMODATE,
    "product_leadership": _NEW_CAPABILITY,
    "venture": _NEW_CAPABILITY,
}
"""The template's stance per kind for each built-in service model; a model the holding
company adds proposes none (its units state theirs)."""


@dataclass(frozen=True, kw_only=True)
class Stance:
    """One kind of variability on one service: reduced or accommodated, how, and whether
    the unit said so or its template proposes it."""

    kind: str
    stance: str
    note: str | None = None
    source: str = STATED

    @property
    def proposed(self) -> bool:
        return self.source == PROPOSED


def proposal(service_model: str) -> dict[str, str]:
    """The template's stance per kind for ``service_model`` (empty: it proposes none)."""
    return dict(PROPOSALS.get(service_model, {}))


def effective(stated: Mapping[str, tuple[str, str | None]],
              service_model: str) -> dict[str, Stance]:
    """Kind -> the stance that holds for a service: the unit's statement where it made one,
    else the template's proposal; a kind with neither is left out."""
    proposed = proposal(service_model)
    found = {}
    for kind in KINDS:
        if kind in stated:
            stance, note = stated[kind]
            found[kind] = Stance(kind=kind, stance=stance, note=note or None, source=STATED)
        elif kind in proposed:
            found[kind] = Stance(kind=kind, stance=proposed[kind], source=PROPOSED)
    return found


def problems(kind: object, stance: object, note: object) -> list[tuple[str, str]]:
    """What is wrong with one statement, as (field, reason); empty when it is sound."""
    found = []
    if kind not in KINDS:
        found.append(("kind", f"unknown kind of variability {str(kind)[:40]!r} (kinds: "
                              f"{', '.join(KINDS)})"))
    if stance not in STANCES:
        found.append(("stance", f"{str(stance)[:40]!r} is not a stance: write "
                                f"{' or '.join(STANCES)}"))
    if note is not None and not isinstance(note, str):
        found.append(("note", "a note is text"))
    elif isinstance(note, str) and len(note.strip()) > NOTE_LENGTH:
        found.append(("note", f"at most {NOTE_LENGTH} characters (this one has "
                              f"{len(note.strip())})"))
    elif isinstance(note, str) and not note.isprintable():
        found.append(("note", "one line of text, without control characters"))
    return found


# --- telling two services apart ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ServiceStances:
    """A unit's service as a comparison names it, with its stances (kind -> Stance).

    ``uom``, ``spend`` and ``quantity`` say what one unit of the service cost: the unit's
    spend of the month over the quantity of this service used in it (``quantity`` None
    when the unit's spend is not put down to this service, i.e. it is not the unit's main
    service), the cost per unit the pack's ``Why they differ`` prints."""

    unit: str  # how the sentence names the unit (its code)
    code: str  # the service's code and name
    name: str
    stances: Mapping[str, Stance]
    uom: str | None = None
    spend: Decimal | None = None
    quantity: Decimal | None = None

    @property
    def cost_per_unit(self) -> Decimal | None:
        return unit_cost(self.spend, self.quantity)


COST_PLACES = Decimal("0.0001")


def unit_cost(spend: Decimal | None, quantity: Decimal | None) -> Decimal | None:
    """Spend per unit of service, to 4 decimals (a core-hour may cost less than a cent);
    None without a spend or a quantity used."""
    if spend is None or quantity is None or quantity <= 0:
        return None
    return CONTEXT.divide(spend, quantity).quantize(COST_PLACES, context=CONTEXT)


def contrast(a: ServiceStances, b: ServiceStances) -> tuple[str, ...]:
    """Sentences on where two services take different stances, kind by kind; and what
    that says of what one unit of service costs at each (accommodating variability costs
    more to serve than reducing it), when the two are measured alike (``_cost_sentence``)."""
    missing = [side for side in (a, b) if not side.stances]
    if missing:
        return tuple(f"{side.unit} states no stance on customer-introduced variability for "
                     f"{side.name} ({side.code}), and its service model's template proposes "
                     "none." for side in missing)
    differing = [k for k in KINDS if k in a.stances and k in b.stances
                 and a.stances[k].stance != b.stances[k].stance]
    if not differing:
        return (f"{a.unit} and {b.unit} take the same stance on every kind of "
                f"customer-introduced variability on {a.name} ({a.code}) and {b.name} "
                f"({b.code}), so their difference in spend is not one of variability.",)
    sentences = [_clause(a, b, kinds) for kinds in _grouped(a, b, differing)]
    return tuple(sentences) + _cost_sentence(a, b, differing)


def _grouped(a: ServiceStances, b: ServiceStances,
             kinds: Sequence[str]) -> list[tuple[str, ...]]:
    """The differing kinds, those told alike (same stances, notes and sources) together;
    the ones that say how (a note on either side) first, then in Frei's order."""
    groups: dict[tuple, list[str]] = {}
    for kind in kinds:
        x, y = a.stances[kind], b.stances[kind]
        groups.setdefault((x.stance, x.note, x.source, y.note, y.source), []).append(kind)
    return sorted((tuple(group) for group in groups.values()),
                  key=lambda g: (not (a.stances[g[0]].note or b.stances[g[0]].note),
                                 KINDS.index(g[0])))


def _clause(a: ServiceStances, b: ServiceStances, kinds: tuple[str, ...]) -> str:
    """"ALT accommodates request variability on Research desktops (ALT-DESK: any software
    a researcher asks for); WW reduces it on Plant desktops (WW-DESK: three standard
    images)." """
    x, y = a.stances[kinds[0]], b.stances[kinds[0]]
    words = and_list([KIND_WORDS[k] for k in kinds])
    it = "it" if len(kinds) == 1 else "them"
    return (f"{a.unit} {_verb(x)} {words} variability on {a.name} ({_how(a, x)}); "
            f"{b.unit} {_verb(y)} {it} on {b.name} ({_how(b, y)}).")


def _verb(stance: Stance) -> str:
    return "reduces" if stance.stance == REDUCE else "accommodates"


def _how(side: ServiceStances, stance: Stance) -> str:
    """The service's code, then how (the note), or that the template proposes it."""
    if stance.proposed:
        return f"{side.code}; as its template proposes, not stated by {side.unit}"
    return f"{side.code}: {stance.note}" if stance.note else side.code


def _cost_sentence(a: ServiceStances, b: ServiceStances,
                   differing: Sequence[str]) -> tuple[str, ...]:
    """What the stances say of cost, decided on the cost of one unit of service when both
    services are their units' main service in one unit of measure; else no cause claimed
    (which unit spends more in total may be a matter of size alone)."""
    mine, theirs = a.cost_per_unit, b.cost_per_unit
    uncompared = ("so no cost of one unit of service is compared, and the difference in "
                  "spend, which may be one of size, is not put down to variability.")
    if a.uom != b.uom:
        return (f"{a.code} and {b.code} are measured in different units ({a.uom or 'none'}, "
                f"{b.uom or 'none'}), {uncompared}",)
    if mine is None or theirs is None:
        return (f"{a.code} and {b.code} are not both their units' main service with usage in "
                f"the month, {uncompared}",)
    uom = a.uom
    if mine == theirs:
        return (f"A {uom} costs the same at {a.unit} and {b.unit} ({cost_text(mine)}), so "
                "their different stances on variability make no difference of cost.",)
    more, less = (a, b) if mine > theirs else (b, a)
    costs = (f"a {uom} costs more at {more.unit} ({cost_text(more.cost_per_unit)}) than at "
             f"{less.unit} ({cost_text(less.cost_per_unit)})")
    accommodated = [k for k in differing if more.stances[k].stance == ACCOMMODATE]
    if accommodated:
        return (f"Accommodating variability costs more to serve than reducing it, which is "
                f"part of why {costs}: {more.unit} accommodates "
                f"{and_list([KIND_WORDS[k] for k in accommodated])} variability where "
                f"{less.unit} reduces it.",)
    return (f"{costs[0].upper()}{costs[1:]} although {more.unit} reduces the variability "
            f"{less.unit} accommodates, so the difference in cost is not one of "
            "variability.",)


def cost_text(value: Decimal | None) -> str:
    """130.9432 as 130.9432, 250.0000 as 250.00: at least the cents, no trailing zeros."""
    text = f"{value:,.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def and_list(words: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def pick_pair(a: Sequence[tuple[str, str]], b: Sequence[tuple[str, str]],
              recovered: Mapping[str, Decimal]) -> tuple[str, str] | None:
    """Which two services to tell apart, from (code, unit of measure) of each unit's
    services and what each service's usage recovered in the month (``recovered``, by code;
    a service not in it recovered nothing). Like for like when the units share a unit of
    measure (a seat-month with a seat-month): of those pairs, the one that recovered the
    most together. Else each unit's main service, the one that recovered the most. None
    when either unit has no service. Ties go to the first codes."""
    if not a or not b:
        return None

    def worth(code: str) -> Decimal:
        return recovered.get(code, ZERO)

    same = [(x, y) for x, xu in a for y, yu in b if xu == yu]
    if same:
        return min(same, key=lambda p: (-(worth(p[0]) + worth(p[1])), p))
    return (min((code for code, _ in a), key=lambda c: (-worth(c), c)),
            min((code for code, _ in b), key=lambda c: (-worth(c), c)))
