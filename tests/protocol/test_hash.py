import copy
import random
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.protocol import parse_protocol, protocol_id, protocol_template, short_id

BASE: dict[str, Any] = yaml.safe_load(protocol_template())


def id_of(data: dict[str, Any], **dump: Any) -> str:
    text = yaml.safe_dump(data, **dump)
    return protocol_id(parse_protocol(text, "p.yaml", Path("."), resolve_tasks=False))


def shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    flow=st.sampled_from([None, True, False]),
    width=st.integers(20, 200),
)
def test_key_order_and_formatting_do_not_change_the_id(seed: int, flow: Any, width: int) -> None:
    data = shuffled(copy.deepcopy(BASE), random.Random(seed))
    assert id_of(data, sort_keys=False, default_flow_style=flow, width=width) == id_of(BASE)


def test_writing_defaults_out_does_not_change_the_id() -> None:
    data = copy.deepcopy(BASE)
    data["models"][1]["model_args"] = {}
    data["tasks"][0]["args"] = {}
    data["analysis"]["correction"] = "holm"
    data["thresholds"][0]["compare_to"] = "ref"
    assert id_of(data) == id_of(BASE)


def _mutations() -> list[Any]:
    def set_path(*path: Any) -> Any:
        def apply(data: dict[str, Any], value: Any) -> None:
            target = data
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return apply

    return [
        (set_path("name"), st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)),
        (set_path("description"), st.text(max_size=30)),
        (set_path("partners", 0, "name"), st.text(min_size=1, max_size=20)),
        (
            set_path("models", 0, "model"),
            st.from_regex(r"[a-z]{2,8}/[a-z0-9.-]{1,12}", fullmatch=True),
        ),
        (set_path("tasks", 0, "epochs"), st.integers(1, 1000)),
        (
            set_path("tasks", 0, "args"),
            st.dictionaries(
                st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.integers(), min_size=1, max_size=3
            ),
        ),
        (set_path("generate", "temperature"), st.floats(0, 2, allow_nan=False)),
        (set_path("analysis", "reproducibility_margin"), st.floats(0.001, 1.0)),
        (
            set_path("thresholds", 0, "when"),
            st.sampled_from(["delta < -0.2", "delta < 0", "delta > 0.1"]),
        ),
        (set_path("disclosure", "default"), st.sampled_from(["samples", "transcripts"])),
        (set_path("embargo_until"), st.dates().map(lambda d: d.isoformat())),
    ]


MUTATIONS = _mutations()


@settings(max_examples=150, deadline=None)
@given(data=st.data(), index=st.integers(0, len(MUTATIONS) - 1))
def test_any_change_of_meaning_changes_the_id(data: st.DataObject, index: int) -> None:
    apply, values = MUTATIONS[index]
    changed = copy.deepcopy(BASE)
    apply(changed, data.draw(values))
    if yaml.safe_load(yaml.safe_dump(changed)) == yaml.safe_load(yaml.safe_dump(BASE)):
        return  # drew the original value
    assert id_of(changed) != id_of(BASE)


def test_short_id_is_twelve_hex_digits() -> None:
    full = id_of(BASE)
    assert short_id(full) == full.removeprefix("sha256:")[:12]
    assert len(short_id(full)) == 12
