import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.protocol import WhenSyntaxError, evaluate_when, parse_when, when_variables


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("delta < -0.10", {"delta": -0.2}, True),
        ("delta < -0.10", {"delta": -0.1}, False),
        ("-0.10 > delta", {"delta": -0.2}, True),
        ("estimate >= 0.5 and ci_low > 0.4", {"estimate": 0.5, "ci_low": 0.41}, True),
        ("estimate >= 0.5 and ci_low > 0.4", {"estimate": 0.5, "ci_low": 0.4}, False),
        ("not (delta < 0) or ci_high < -1", {"delta": 1.0, "ci_high": 0.0}, True),
    ],
)
def test_expressions_evaluate(text: str, values: dict[str, float], expected: bool) -> None:
    assert evaluate_when(parse_when(text), values) is expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("delta <", "not a valid expression"),
        ("0 < delta < 1", "chained comparisons"),
        ("delta == 0", "use one of"),
        ("delta < ci_low", "one variable and one number"),
        ("__import__('os').system('x')", "only comparisons"),
        ("delta < True", "one variable and one number"),
    ],
)
def test_malformed_expressions_say_why(text: str, fragment: str) -> None:
    with pytest.raises(WhenSyntaxError, match=fragment):
        parse_when(text)


@given(
    value=st.floats(-10, 10, allow_nan=False),
    bound=st.floats(-10, 10, allow_nan=False),
    op=st.sampled_from(["<", "<=", ">", ">="]),
)
def test_comparison_agrees_with_python_either_way_round(
    value: float, bound: float, op: str
) -> None:
    expected = eval(f"{value!r} {op} {bound!r}")  # reference semantics
    assert evaluate_when(parse_when(f"delta {op} {bound!r}"), {"delta": value}) is expected
    flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    assert evaluate_when(parse_when(f"{bound!r} {flipped} delta"), {"delta": value}) is expected


def test_variables_are_collected() -> None:
    assert when_variables(parse_when("delta < 0 and (ci_low > 1 or not estimate < 2)")) == {
        "delta",
        "ci_low",
        "estimate",
    }


def test_only_quantities_with_intervals_are_variables() -> None:
    from accord.protocol._when import COMPARISON_VARIABLES, ESTIMATE_VARIABLES, INTERVAL_BOUNDS

    assert {"delta", "estimate", "reference"} == COMPARISON_VARIABLES
    assert {"estimate"} == ESTIMATE_VARIABLES
    assert not INTERVAL_BOUNDS & COMPARISON_VARIABLES  # bounds are refused at validation
