"""The criterion language: arithmetic over measure names, parsed by rule-engine, never run as
Python.

A unit head types ``desktop_spend / seats``; that text reaches the server from a web form,
so it must not be able to call, import or reach anything, nor keep a worker busy. First the
size: at most ``MAX_EXPRESSION_CHARS`` characters, checked before anything else reads the
text; then three fences, each cheap:

1. a scan of the text that admits only measure names (``[a-z][a-z0-9_]*``), service level
   names (``sla.ALT-HPC.availability``, ``sla.ALT-HPC.priority.response_hours``: one token
   of a fixed shape, ``rules.vocabulary.SLA_NAME_PATTERN``), plain decimal
   numbers (``12``, ``1.05``), ``+ - * /`` and parentheses. It catches what rule-engine
   would accept and fold into a constant before we see it (``2 ** 3``, ``7 % 2``,
   ``1e3``, ``0x10``), and says in words what is wrong; it also bounds the shape of the
   tree, so no later step recurses deeply: at most ``MAX_NESTING`` levels of parentheses and
   unary signs, and at most ``MAX_OPERATORS`` operators (a chain ``a + b + ...`` is a tree
   as deep as it is long);
2. rule-engine's own parser, with every symbol typed FLOAT (Decimal), which rejects
   attribute access, indexing and calls on a number. A service level name is not a
   rule-engine symbol (its dots would be attribute access, its ``-`` a subtraction): the
   scan replaces each with a symbol of its own, ``_sla_0``, ``_sla_1``..., that no typed
   name can be (a measure name starts with a letter), and maps it back to the name, so
   rule-engine only ever sees plain symbols;
3. a walk of the parsed tree that refuses any node that is not ``+``, ``-``, ``*``, ``/``,
   unary minus, a finite number or a plain measure name, and a division whose divisor is a
   constant 0 (``x / 0``, ``x / (2 - 2)``: rule-engine folds constants), which could never
   be rated.

rule-engine is imported on the first parse, not with this module: importing it builds its
parser's tables (PLY's LALR tables: 0.3-0.5 s of CPU, over a second of wall time on a busy
machine), and the command line, the web app and the API import this module through
``rules.scoring`` whether or not they ever parse an expression. ``_engine`` imports it once
per process (see there); ``tests/chargeback/test_startup.py`` checks that creating the app
does not.
"""

from __future__ import annotations

import decimal
import difflib
import functools
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING

from rules.model import RuleError
from rules.money import CONTEXT, D
from rules.vocabulary import SLA_NAME_PATTERN

if TYPE_CHECKING:
    import rule_engine

NAME_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
"""A measure name: lower-case ASCII letter, then lower-case letters, digits or ``_``."""

MAX_EXPRESSION_CHARS = 1000
"""The longest expression: checked before the text is scanned or parsed."""
MAX_NESTING = 20
"""Levels of parentheses and unary signs (``-(-(x))``), so no step of parsing recurses deep."""
MAX_OPERATORS = 100
"""Operators in one expression: ``a + b + c`` is a tree as deep as the chain is long."""
DIVISION_BY_ZERO = "division by zero: the divisor is always 0"

RESERVED = frozenset({"true", "false", "inf", "nan", "null", "and", "in", "or", "not", "for", "if"})
"""Words rule-engine reads as constants or operators, so they cannot name a measure."""

_TOKEN = re.compile(
    rf"\s*(?:(?P<sla>{SLA_NAME_PATTERN}(?![\w.]))|"
    r"(?P<number>\d+(?:\.\d+)?(?![\w.]))|(?P<word>[A-Za-z_]\w*)"
    r"|(?P<operator>\*\*|//|<<|>>|==|!=|<=|>=|=~~?|!~~?|\?\?|&\.)|(?P<op>[-+*/()])|(?P<other>\S))",
    re.ASCII,
)

_REFUSED_CHARACTERS = {
    **dict.fromkeys("\"'", "quoted text is not allowed"),
    "$": "built-in symbols ($name) are not allowed",
    ".": "attribute access is not allowed",
    "%": "operator % is not allowed",
    **dict.fromkeys("<>=!", "comparisons are not allowed"),
    **dict.fromkeys("[]", "indexing is not allowed"),
    **dict.fromkeys("{}", "collections are not allowed"),
    **dict.fromkeys("&|^~", "bitwise operators are not allowed"),
    **dict.fromkeys("?:", "conditional expressions are not allowed"),
    "#": "comments are not allowed",
    ",": "lists and function arguments are not allowed",
}

_REFUSED_OPERATORS = {
    **dict.fromkeys(("<<", ">>"), "bitwise operators are not allowed"),
    **dict.fromkeys(("==", "!=", "<=", ">=", "=~", "=~~", "!~", "!~~"),
                    "comparisons are not allowed"),
    "??": "conditional expressions are not allowed",
    "&.": "attribute access is not allowed",
}

_EVAL_CONTEXT = CONTEXT.copy()
_EVAL_CONTEXT.traps[decimal.InvalidOperation] = False  # 0 / 0 gives NaN, read as "division by zero"
_PARSE_LOCK = threading.Lock()


@functools.cache
def _engine() -> SimpleNamespace:
    """rule-engine, imported on the first call: ``.module``, ``.ast``, ``.errors`` and
    ``.node_words`` (what the third fence calls each node it refuses).

    Importing rule-engine builds its one parser (a class attribute of ``rule_engine.Rule``),
    so the parser is built once per process and only when an expression is parsed. Web
    workers' threads may make their first parse at the same time: Python's import lock runs
    rule-engine's import (and so builds the parser) once, the others wait for it; at worst
    two threads each make this small namespace and the cache keeps one. Every later call is
    a dictionary look-up.

    The parser's tables come prebuilt (``rules.rule_engine_tables``, where ply looks for
    them): building them was 0.3-0.5 s of CPU in every process that parsed an expression,
    a close among them. Tables of another grammar (rule-engine upgraded) are not used:
    ply compares their signature and builds the parser as before.
    """
    from rules import rule_engine_tables

    sys.modules.setdefault("rule_engine.parser.parsetab", rule_engine_tables)
    import rule_engine
    from rule_engine import ast, errors

    return SimpleNamespace(module=rule_engine, ast=ast, errors=errors,
                           node_words=_node_words(ast))


def _node_words(ast: ModuleType) -> dict[type, str]:
    return {
        ast.FunctionCallExpression: "a function call",
        ast.GetAttributeExpression: "attribute access",
        ast.GetItemExpression: "indexing",
        ast.GetSliceExpression: "slicing",
        ast.StringExpression: "quoted text",
        ast.BooleanExpression: "a true/false value",
        ast.NullExpression: "null",
        ast.ComparisonExpression: "a comparison",
        ast.ArithmeticComparisonExpression: "a comparison",
        ast.LogicExpression: "and/or",
        ast.TernaryExpression: "a conditional expression",
    }


@dataclass(frozen=True, kw_only=True)
class ParsedExpression:
    """An expression that passed all three fences, ready to evaluate many times.

    ``order`` lists its measure names in order of first appearance, so "missing measure"
    always names the same (first) missing one.
    """

    text: str
    order: tuple[str, ...]
    rule: rule_engine.Rule = field(compare=False, repr=False)
    # measure name -> the rule-engine symbol standing for it (service level names only)
    symbols: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def names(self) -> frozenset[str]:
        """The measure names the expression reads."""
        return frozenset(self.order)


def parse(
    expr: str, *, source: str = "expression"
) -> tuple[ParsedExpression | None, list[RuleError]]:
    """Parse ``expr``; on refusal return None and one error per problem, field ``expr``."""
    parsed, problems = _parse_cached(expr)
    return parsed, [RuleError(source=source, field="expr", message=p) for p in problems]


@functools.lru_cache(maxsize=1024)
def _parse_cached(expr: str) -> tuple[ParsedExpression | None, tuple[str, ...]]:
    """Parse once per distinct text: scoring a whole holding reuses a few dozen expressions."""
    if not isinstance(expr, str) or not expr.strip():
        return None, ("is empty",)
    if len(expr) > MAX_EXPRESSION_CHARS:
        return None, (f"longer than {MAX_EXPRESSION_CHARS} characters",)
    problems = _scan(expr)
    if problems:
        return None, tuple(problems)
    plain, names = _sla_symbols(expr)
    rule, problem = _rule_engine_parse(plain)
    if rule is None:
        for symbol, name in names.items():  # a message names what was typed
            problem = problem.replace(repr(symbol), repr(name))
        return None, (problem,)
    order: list[str] = []
    problems = _refusals(rule.statement, order, names)
    if problems:
        return None, tuple(dict.fromkeys(problems))
    return ParsedExpression(text=expr, order=tuple(order), rule=rule,
                            symbols={name: symbol for symbol, name in names.items()}), ()


_SLA_SYMBOL = "_sla_{}"
EMPTY: Mapping[str, str] = {}


def _sla_symbols(expr: str) -> tuple[str, dict[str, str]]:
    """The text with each service level name replaced by a plain symbol (the same name
    by the same symbol), and symbol -> name. Run after the scan, so each match is a whole
    token the scan admitted."""
    names: dict[str, str] = {}
    symbols: dict[str, str] = {}
    pieces: list[str] = []
    last = 0
    for match in _TOKEN.finditer(expr):
        if match.lastgroup != "sla":
            continue
        name = match.group("sla")
        symbol = symbols.setdefault(name, _SLA_SYMBOL.format(len(symbols)))
        names[symbol] = name
        start = match.start("sla")
        pieces.append(expr[last:start] + symbol)
        last = match.end("sla")
    return "".join(pieces) + expr[last:], names


def _scan(expr: str) -> list[str]:
    """First fence: refuse, in words, every token outside the language, and a tree too deep
    or too big to walk."""
    problems: list[str] = []
    tokens = [m for m in _TOKEN.finditer(expr) if m.lastgroup]
    for index, match in enumerate(tokens):
        kind, text = match.lastgroup, match.group(match.lastgroup)
        following = tokens[index + 1].group(0).strip() if index + 1 < len(tokens) else ""
        problems.extend(_token_problems(kind, text, following))
    problems.extend(_shape_problems([(m.lastgroup, m.group(m.lastgroup)) for m in tokens]))
    return list(dict.fromkeys(problems))


def _shape_problems(tokens: list[tuple[str, str]]) -> list[str]:
    """Nesting (open parentheses plus the unary signs in front of an operand) and the count
    of operators: a sign is unary at the start, after ``(`` or after another operator."""
    problems = []
    depth = deepest = signs = operators = 0
    after_operand = False
    for kind, text in tokens:
        if kind != "op":
            after_operand, signs = True, 0
        elif text == "(":
            depth += 1
            after_operand = False
        elif text == ")":
            depth -= 1
            after_operand, signs = True, 0
        else:
            operators += 1
            signs = signs + 1 if not after_operand else 0
            after_operand = False
        deepest = max(deepest, depth + signs)
    if deepest > MAX_NESTING:
        problems.append(f"nested deeper than {MAX_NESTING} levels (parentheses and signs)")
    if operators > MAX_OPERATORS:
        problems.append(f"more than {MAX_OPERATORS} operators: split the calculation, or "
                        "import the figure as a measure")
    return problems


def _token_problems(kind: str, text: str, following: str) -> list[str]:
    """What is wrong with one token, given the token after it (a call is ``name(``)."""
    if kind == "sla":
        if following == "(":
            return [f"function calls are not allowed ({text})"]
        return []
    if kind == "word":
        if following == "(":
            return [f"function calls are not allowed ({text})"]
        if text == "sla" and following == ".":
            return ["'sla.' starts a service level name: write sla.SERVICE.measure or "
                    "sla.SERVICE.OFFERING.measure (service codes of letters, digits, _ "
                    "and -; offering and measure names of lower-case letters, digits "
                    "and _)"]
        if text in RESERVED:
            return [f"'{text}' is a reserved word, not a measure name"]
        if not NAME_RE.match(text):
            return [f"'{text}' is not a measure name (lower-case letters, digits and _, "
                    "starting with a letter)"]
    if kind == "operator":
        return [_REFUSED_OPERATORS.get(text, f"operator {text} is not allowed")]
    if kind == "other":
        if text.isdigit() or (text == "." and following[:1].isdigit()):
            return ["malformed number (write plain decimals such as 1.05)"]
        return [_REFUSED_CHARACTERS.get(text, f"unexpected character {text!r}")]
    return []


def _rule_engine_parse(expr: str) -> tuple[rule_engine.Rule | None, str]:
    """Second fence: rule-engine's grammar, every symbol a Decimal, a fresh context each time
    (a context accumulates the symbols of every rule parsed with it)."""
    engine = _engine()
    errors = engine.errors
    context = engine.module.Context(
        type_resolver=lambda _name: engine.module.DataType.FLOAT,
        decimal_context=_EVAL_CONTEXT,
    )
    try:
        with _PARSE_LOCK:
            return engine.module.Rule(expr, context=context), ""
    except errors.RuleSyntaxError as error:
        token = getattr(error, "token", None)
        where = f" at {token.value!r}" if token is not None else " (incomplete expression)"
        return None, f"syntax error{where}"
    except errors.ArithmeticError:
        return None, DIVISION_BY_ZERO
    except (errors.EngineError, ValueError, TypeError) as error:
        return None, f"cannot be parsed: {getattr(error, 'message', error)}"


def _refusals(node: object, order: list[str], names: Mapping[str, str] = EMPTY) -> list[str]:
    """Third fence: walk the tree left to right, collecting names and refusing other nodes
    (``names``: the service level names' symbols, which stand for those names)."""
    engine = _engine()
    ast = engine.ast
    kind = type(node)
    if kind is ast.Statement:
        return _refusals(node.expression, order, names)
    if kind is ast.ArithmeticExpression and node.type == "tdiv" and _is_zero(node.right, ast):
        return [DIVISION_BY_ZERO] + _refusals(node.left, order, names)
    if kind in (ast.AddExpression, ast.SubtractExpression) or (
        kind is ast.ArithmeticExpression and node.type in ("mul", "tdiv")
    ):
        return _refusals(node.left, order, names) + _refusals(node.right, order, names)
    if kind is ast.ArithmeticExpression:
        return [f"operator {node.type} is not allowed"]
    if kind is ast.UnaryExpression and node.type == "uminus":
        return _refusals(node.right, order, names)
    if kind is ast.FloatExpression:
        return [] if node.value.is_finite() else ["division by zero"]
    if kind is ast.SymbolExpression and node.scope is None and (
            node.name in names or NAME_RE.match(node.name)):
        name = names.get(node.name, node.name)
        if name not in order:
            order.append(name)
        return []
    return [f"{engine.node_words.get(kind, kind.__name__)} is not allowed"]


def _is_zero(node: object, ast: ModuleType) -> bool:
    """A constant 0 (rule-engine folds ``2 - 2`` and ``-0`` into one), possibly negated."""
    while type(node) is ast.UnaryExpression and node.type == "uminus":
        node = node.right
    return type(node) is ast.FloatExpression and node.value.is_finite() and node.value == 0


def evaluate(
    parsed: ParsedExpression, measures: Mapping[str, Decimal]
) -> tuple[Decimal | None, str | None]:
    """The value of the expression, or None and the spec's reason for not rating it.

    The reason is "missing measure NAME" (the first missing name in order of appearance)
    or "division by zero": the two ways real data fails, which the pack shows as a note.
    """
    for name in parsed.order:
        if measures.get(name) is None:
            return None, f"missing measure {name}"
    values = {parsed.symbols.get(name, name): D(measures[name]) for name in parsed.order}
    errors = _engine().errors
    try:
        value = parsed.rule.evaluate(values)
    except errors.ArithmeticError as error:
        return None, "division by zero" if "division by zero" in error.message else "overflow"
    if value.is_nan():
        return None, "division by zero"
    return value, None


def suggest(name: str, known_names: Iterable[str]) -> list[str]:
    """The known names closest to a misspelt one, best first, for "did you mean ...?"."""
    return difflib.get_close_matches(name, sorted(set(known_names)), n=3, cutoff=0.6)
