"""Token usage per model as Inspect reports it, and its cost from user-supplied prices.

Prices are operational (they do not change what is measured) and the user's own: a YAML or
JSON file in the shape of Inspect's `--model-cost-config`, mapping an Inspect model string to
prices in dollars per million tokens:

    openai/gpt-4o: {input: 2.5, output: 10.0, input_cache_read: 1.25}
    anthropic/claude-3-5-haiku-latest: {input: 0.8, output: 4.0}
"""

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._util import InputError, invalid_fields

_MILLION = 1_000_000


class Price(BaseModel):
    """A model's prices in dollars per million tokens; cache prices default to `input`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    input_cache_read: float | None = Field(default=None, ge=0)
    input_cache_write: float | None = Field(default=None, ge=0)


class Usage(BaseModel):
    """Tokens one model used in a log (Inspect's `ModelUsage`), and their cost if priced."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = Field(default=0, description="Part of output_tokens.")
    input_tokens_cache_read: int = 0
    input_tokens_cache_write: int = 0
    cost: float | None = Field(
        default=None, description="Dollars, from the prices given to `accord run --prices`."
    )

    def priced(self, price: Price | None) -> "Usage":
        """The usage with its cost at `price` (None: no cost)."""
        if price is None:
            return self.model_copy(update={"cost": None})
        read = price.input if price.input_cache_read is None else price.input_cache_read
        write = price.input if price.input_cache_write is None else price.input_cache_write
        cost = (
            self.input_tokens * price.input
            + self.output_tokens * price.output
            + self.input_tokens_cache_read * read
            + self.input_tokens_cache_write * write
        ) / _MILLION
        return self.model_copy(update={"cost": round(cost, 6)})

    def __add__(self, other: "Usage") -> "Usage":
        cost = (
            None
            if self.cost is None and other.cost is None
            else (self.cost or 0) + (other.cost or 0)
        )
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            input_tokens_cache_read=self.input_tokens_cache_read + other.input_tokens_cache_read,
            input_tokens_cache_write=self.input_tokens_cache_write + other.input_tokens_cache_write,
            cost=cost,
        )


def usage_from_inspect(model_usage: Mapping[str, Any]) -> dict[str, Usage]:
    """Inspect's `stats.model_usage` (model string -> ModelUsage) as `Usage` records."""
    return {
        model: Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            reasoning_tokens=usage.reasoning_tokens or 0,
            input_tokens_cache_read=usage.input_tokens_cache_read or 0,
            input_tokens_cache_write=usage.input_tokens_cache_write or 0,
        )
        for model, usage in sorted(model_usage.items())
    }


def usage_from_samples(samples: Iterable[Any]) -> dict[str, Usage]:
    """Usage per model summed over samples (their `model_usage`), graders included.

    Read from the samples rather than the log's totals, which a log merged from shards
    does not sum.
    """
    return total_usage([usage_from_inspect(sample.model_usage or {}) for sample in samples])


def price_usage(usage: Mapping[str, Usage], prices: Mapping[str, Price]) -> dict[str, Usage]:
    """Each model's usage with its cost at `prices` (models without a price: no cost)."""
    return {model: used.priced(prices.get(model)) for model, used in usage.items()}


def total_usage(usages: list[Mapping[str, Usage]]) -> dict[str, Usage]:
    """Usage per model summed over logs."""
    totals: dict[str, Usage] = {}
    for usage in usages:
        for model, used in usage.items():
            totals[model] = totals[model] + used if model in totals else used
    return dict(sorted(totals.items()))


def read_prices(path: Path) -> dict[str, Price]:
    """Read a prices file (YAML or JSON): Inspect model string -> prices per million tokens.

    Raises:
        InputError: When the file is missing, not YAML/JSON, or a price is not valid.

    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as ex:
        raise InputError(f"cannot read prices file {path}: {ex.strerror}") from None
    except yaml.YAMLError as ex:
        raise InputError(f"prices file {path} is not YAML or JSON: {ex}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InputError(
            f"prices file {path} must map Inspect model strings to prices, e.g. "
            "`openai/gpt-4o: {input: 2.5, output: 10.0}` (dollars per million tokens)"
        )
    prices = {}
    for model, price in data.items():
        try:
            prices[model] = Price.model_validate(price)
        except ValidationError as ex:
            raise InputError(
                f"prices file {path}: the price of {model} is not valid (bad or missing: "
                f"{invalid_fields(ex)}); give input and output in dollars per million tokens, "
                "optionally input_cache_read and input_cache_write"
            ) from None
    return prices
