"""The product's glossary: the words a reader of a page or of the pack meets, and what they
mean. Defined once here, pure (no Flask, no database), so the web app's help pages and the
pack's ``Cover`` sheet (its ``Term <word>`` rows) say the same thing; a test keeps them in
agreement. The words themselves (band names, billing modes) come from ``rules.vocabulary``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.vocabulary import BANDS


@dataclass(frozen=True)
class Term:
    word: str
    meaning: str
    topic: str  # "scoring", "charges" or "packs": how the help page groups it


_BAND_MEANINGS = {
    "exceeds": "attainment at or above the exceeds limit (90 unless central IT changed it)",
    "meets": "attainment at or above the meets limit (70 by default), below exceeds",
    "watch": "attainment at or above the watch limit (50 by default), below meets",
    "below": "attainment below the watch limit",
    "unrated": "no criterion of the scorecard could be rated for the month (every measure "
               "it needs was missing), or the unit has no scorecard in force",
}

TERMS: tuple[Term, ...] = (
    Term("Scorecard", "a unit's own goals: criteria, each with a weight, approved by "
         "central IT and in force from a period on", "scoring"),
    Term("Criterion", "one goal of a scorecard: an expression over the unit's measures "
         "(cost per seat = desktop_spend / seats), a direction (higher or lower is "
         "better), a method that turns its value into a score, and a weight", "scoring"),
    Term("Measure", "a figure a unit has for a month: from the ledger (spend, budget, "
         "charged, spend per cost pool or tower) or imported as a metric (seats, "
         "availability)", "scoring"),
    Term("Score", "0 to 100 for one criterion: linear between its floor and target, "
         "binary (100 when the target is met, else 0) or by bands of values", "scoring"),
    Term("Not rated", "a criterion whose measure has no value for the month, or whose "
         "expression divides by zero: it keeps the reason and is left out of the "
         "attainment", "scoring"),
    Term("Attainment", "a unit's result for a month: the weighted mean of its rated "
         "criteria's scores (sum of weight x score / sum of weights), shown to one "
         "decimal", "scoring"),
    Term("Group attainment", "a group's result: its rated units' attainments weighted by "
         "their spend (each unit against its own scorecard, never one metric for all)",
         "scoring"),
    Term("Band", "where an attainment falls: " + ", ".join(BANDS) + "; the limits are a "
         "holding-wide setting", "scoring"),
    *(Term(band, meaning, "scoring") for band, meaning in _BAND_MEANINGS.items()),
    Term("Consumer", "a business cost center that receives charges, with a GL account; a "
         "unit can also consume another unit's service", "charges"),
    Term("Service", "what a unit offers, with a unit of measure (seat-month, GB-month, "
         "hour) and a price on the rate card", "charges"),
    Term("Offering", "a package of a service at one level (an HPC service's standard and "
         "priority), with its own service level targets", "charges"),
    Term("Service level", "a target an offering promises (availability at least 99.5, "
         "response within 4 hours) and the month's result: met, missed or no result; a "
         "scorecard reads a result as sla.SERVICE.measure (the whole service) or "
         "sla.SERVICE.OFFERING.measure", "scoring"),
    Term("Variability", "what customers bring into a service (arrival, request, capability, "
         "effort, subjective preference): for each kind, a service reduces it (cheaper, "
         "asks more of the customer) or accommodates it (costs more to serve); a kind the "
         "unit has not stated takes its service model's template's proposal", "charges"),
    Term("Rated usage", "a consumer's usage of a service in the month times the rate in "
         "force, one charge line per consumer and service, rounded to the cent",
         "charges"),
    Term("Driver allocation", "a cost shared over consumers in proportion to a driver "
         "(headcount, floor space), exact to the cent: the cents left over go to the "
         "largest remainders", "charges"),
    Term("Fixed split", "a cost shared over consumers by percentages that sum to 100",
         "charges"),
    Term("Internal charge", "a charge one unit makes to another: it becomes the receiving "
         "unit's spend in the internal pool, and its own rules may pass it on", "charges"),
    Term("Service chain", "the other units' services a service depends on, and the ones "
         "those depend on: the data center's compute behind a lab's HPC service", "charges"),
    Term("Cost contributed", "in a service chain, what an upstream service charged the unit "
         "of the service it feeds in the month (shared by what each charged when several of "
         "that unit's services depend on it)", "charges"),
    Term("Chargeback", "a billing mode: the unit's charges post to the GL journal",
         "charges"),
    Term("Showback", "a billing mode: the unit's charges are computed and reported, with "
         "no journal lines", "charges"),
    Term("Spend", "what a unit cost in the month, internal charges received included",
         "charges"),
    Term("Charged", "what a unit billed in the month: rated usage and allocations",
         "charges"),
    Term("Absorbed", "spend minus charged: what a unit did not recover (negative when it "
         "over-recovers)", "charges"),
    Term("Final", "a pack written by a month's close: its figures are frozen", "packs"),
    Term("Provisional", "a draft pack of a month still open: its figures may change",
         "packs"),
    Term("Revision", "r1 is a month's first final pack; a month reopened and closed again "
         "gets r2, r3: the latest revision is the one in force", "packs"),
)


def by_topic(topic: str) -> tuple[Term, ...]:
    return tuple(term for term in TERMS if term.topic == topic)


def cover_rows() -> list[tuple[str, str]]:
    """The pack's ``Term <word>`` rows, in glossary order."""
    return [(f"Term {term.word}", term.meaning) for term in TERMS]
