"""What a password must be: at least 12 characters, and not guessable.

Refused (each with the reason, for the form to show):

- fewer than ``MIN_LENGTH`` (12) characters, or more than ``MAX_LENGTH`` (200);
- one character repeated (``aaaaaaaaaaaa``);
- containing the name of the e-mail address (``jane.doe`` of ``jane.doe@example.com``) or
  a part of it of 4 characters or more (``jane``; a shorter name or part, such as ``doe``,
  is given to zxcvbn as a word to look for);
- what zxcvbn (Dropbox's strength estimator, the maintained Python port) scores below
  ``MIN_SCORE`` (3 of 4, "safely unguessable": about 10^8 guesses or more): common and
  breached passwords (its lists of the most used passwords, words and names), keyboard
  runs (``qwertyuiopas``), sequences (``abcdefghijkl``, ``123456789012``), repeats,
  dates, and the e-mail and the product's own words given as user inputs.
"""

from __future__ import annotations

import re

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
PRODUCT_WORDS = ("chargeback", "holding", "northfield")


def name_parts(email: str) -> list[str]:
    """The name of an e-mail address and its parts of 4 characters or more, lower case."""
    local = (email or "").strip().lower().partition("@")[0]
    parts = [p for p in re.split(r"[._+\-]+", local) if len(p) >= 4]
    return ([local] if len(local) >= 4 else []) + parts


def problems(password: str, email: str = "") -> list[str]:
    """Why ``password`` is refused for the user ``email`` (empty: it is accepted)."""
    if len(password) < MIN_LENGTH:
        return [f"a password needs at least {MIN_LENGTH} characters"]
    if len(password) > MAX_LENGTH:
        return [f"a password has at most {MAX_LENGTH} characters"]
    if len(set(password)) == 1:
        return ["a password of one repeated character is easy to guess"]
    lowered = password.lower()
    for part in name_parts(email):
        if part in lowered:
            return [f"a password must not contain the name of the e-mail address ({part!r})"]
    from zxcvbn import zxcvbn  # its dictionaries: when a password is chosen, not at start-up

    # zxcvbn reads at most 72 characters (its own limit, for its time): a longer password
    # is judged by its first 72, which must be strong on their own.
    result = zxcvbn(password[:72], user_inputs=[*name_parts(email), email.lower(), *PRODUCT_WORDS])
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        reason = (feedback.get("warning") or "it is too easy to guess").rstrip(".")
        hints = " ".join(feedback.get("suggestions") or [])
        return [f"this password is too easy to guess: {reason[:1].lower() + reason[1:]}"
                + (f". {hints}" if hints else "")]
    return []
