"""The `when` expressions of thresholds: a tiny, safe language of comparisons.

Grammar: comparisons of a variable with a number (`delta < -0.10`, `0.2 <= estimate`),
joined by `and` / `or`, negated by `not`, grouped with parentheses. Nothing else is allowed,
so an expression can be parsed, checked and evaluated without running code.
"""

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Union

COMPARISON_VARIABLES = frozenset({"delta", "estimate", "reference"})
"""Variables for a threshold with `compare_to`: `delta` = model - reference.

Each is a quantity with an interval; a finding judges the condition over whole intervals.
"""

ESTIMATE_VARIABLES = frozenset({"estimate"})
"""Variables for a threshold on one model's estimate."""

INTERVAL_BOUNDS = frozenset({"ci_low", "ci_high"})
"""Former variables, refused: a bound is not a quantity, and the whole interval is judged."""

_OPS: dict[type[ast.cmpop], tuple[str, Callable[[float, float], bool]]] = {
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}


class WhenSyntaxError(ValueError):
    """A `when` expression that is not in the grammar."""


@dataclass(frozen=True)
class Comparison:
    """`variable op value`, normalised so that the variable is on the left."""

    variable: str
    op: str
    value: float


@dataclass(frozen=True)
class BoolOp:
    """`and` / `or` of two or more conditions."""

    op: str
    operands: tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    """Negation of a condition."""

    operand: "Condition"


Condition = Union[Comparison, BoolOp, Not]  # noqa: UP007 (a forward-referenced alias)

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_BY_SYMBOL = {symbol: fn for symbol, fn in _OPS.values()}


def parse_when(text: str) -> Condition:
    """Parse a `when` expression.

    Args:
        text: The expression, e.g. `delta < -0.10 or delta > 0.10`.

    Returns:
        The parsed condition.

    Raises:
        WhenSyntaxError: When the text is not a valid expression; the message says why.

    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as ex:
        raise WhenSyntaxError(f"not a valid expression ({ex.msg})") from None
    return _convert(tree.body)


def when_variables(condition: Condition) -> set[str]:
    """Every variable a condition reads."""
    if isinstance(condition, Comparison):
        return {condition.variable}
    if isinstance(condition, Not):
        return when_variables(condition.operand)
    return set().union(*(when_variables(o) for o in condition.operands))


def evaluate_when(condition: Condition, values: Mapping[str, float]) -> bool:
    """Evaluate a condition with the given variable values."""
    if isinstance(condition, Comparison):
        return _BY_SYMBOL[condition.op](values[condition.variable], condition.value)
    if isinstance(condition, Not):
        return not evaluate_when(condition.operand, values)
    results = (evaluate_when(o, values) for o in condition.operands)
    return all(results) if condition.op == "and" else any(results)


def _convert(node: ast.expr) -> Condition:
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(op, tuple(_convert(v) for v in node.values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Not(_convert(node.operand))
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            raise WhenSyntaxError("chained comparisons are not allowed: join them with 'and'")
        op_type = type(node.ops[0])
        if op_type not in _OPS:
            raise WhenSyntaxError("use one of <, <=, >, >= to compare")
        symbol = _OPS[op_type][0]
        left, right = node.left, node.comparators[0]
        if isinstance(left, ast.Name) and _is_number(right):
            return Comparison(left.id, symbol, _number(right))
        if _is_number(left) and isinstance(right, ast.Name):
            return Comparison(right.id, _FLIPPED[symbol], _number(left))
        raise WhenSyntaxError("each comparison needs one variable and one number")
    raise WhenSyntaxError(
        "only comparisons of a variable with a number, 'and', 'or' and 'not' are allowed"
    )


def _is_number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _is_number(node.operand)
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    )


def _number(node: ast.expr) -> float:
    if isinstance(node, ast.UnaryOp):
        value = _number(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    assert isinstance(node, ast.Constant) and isinstance(node.value, int | float)
    return float(node.value)
