"""Subjects: the model, system and agent forms of `models:` entries, and their fingerprints."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.protocol import (
    FINGERPRINT_PARTS,
    ModelSpec,
    ProtocolError,
    load_protocol,
    parse_protocol,
    protocol_id,
    subject_fingerprint,
)
from tests.conftest import ProtocolFactory

GUARD = {"id": "mod", "model": "accord/guard"}
SYSTEM = {
    "id": "subject",
    "model": "accord/complier",
    "kind": "system",
    "system_prompt": "Be careful.",
    "input_guards": [GUARD],
    "output_guards": [{**GUARD, "on_block": "stop"}],
    "generate": {"temperature": 0.0},
}
AGENT = {
    "id": "subject",
    "model": "accord/guarded",
    "kind": "agent",
    "agent": "react",
    "agent_args": {"attempts": 1},
    "tools": ["bash", "python"],
    "limits": {"messages": 20, "tokens": 10000, "time": 60},
}


def subject(edit: dict[str, Any]) -> Any:
    def apply(data: dict[str, Any]) -> None:
        data["models"][0] = edit

    return apply


def issues(path: Path) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    return [(i.field, i.line, i.message) for i in caught.value.issues]


def test_each_form_validates(make_protocol: ProtocolFactory) -> None:
    def prompt_file(data: dict[str, Any]) -> None:
        data["models"].append(
            {
                "id": "sys2",
                "model": "accord/complier",
                "kind": "system",
                "system_prompt_file": "prompt.txt",
            }
        )
        data["assignments"][0]["models"].append("sys2")

    path = make_protocol(prompt_file)
    (path.parent / "prompt.txt").write_text("You are careful.\n")
    assert [m.kind for m in load_protocol(path).protocol.models] == ["model", "model", "system"]
    for form in (SYSTEM, AGENT):
        models = load_protocol(make_protocol(subject(form), name=form["kind"])).protocol.models
        assert models[0].kind == form["kind"]


def test_old_protocols_keep_their_id(make_protocol: ProtocolFactory) -> None:
    plain = load_protocol(make_protocol()).protocol
    explicit = load_protocol(
        make_protocol(lambda d: d["models"][0].update(kind="model"), name="explicit")
    ).protocol
    assert protocol_id(plain) == protocol_id(explicit)
    # No subject field is written out for a bare model, so ids made before subjects existed
    # stay the same.
    assert set(plain.models[0].model_dump(exclude_defaults=True)) == {"id", "model"}


@pytest.mark.parametrize(
    ("form", "field", "fragment"),
    [
        ({**SYSTEM, "kind": "model"}, "models[0].system_prompt", "set `kind: system`"),
        ({**AGENT, "kind": "model"}, "models[0].agent", "set `kind: agent`"),
        ({**SYSTEM, "tools": ["bash"]}, "models[0].tools", "belongs to an agent"),
        ({**AGENT, "system_prompt": "x"}, "models[0].system_prompt", "not supported for an agent"),
        (
            {"id": "subject", "model": "accord/complier", "kind": "system"},
            "models[0].kind",
            "a system needs at least one of",
        ),
        ({**SYSTEM, "system_prompt_file": "p.txt"}, "models[0].system_prompt_file", "not both"),
        (
            {**SYSTEM, "system_prompt": None, "system_prompt_file": "nope.txt"},
            "models[0].system_prompt_file",
            "does not exist",
        ),
        (
            {**SYSTEM, "input_guards": [GUARD, GUARD]},
            "models[0].input_guards[1].id",
            "duplicate guard id",
        ),
        (
            {**SYSTEM, "input_guards": [{**GUARD, "block_when": "(unsafe"}]},
            "models[0].input_guards[0].block_when",
            "not a regular expression",
        ),
        (
            {**SYSTEM, "input_guards": [{**GUARD, "prompt": "Is it safe?"}]},
            "models[0].input_guards[0].prompt",
            "{content}",
        ),
        (
            {**SYSTEM, "output_guards": [{**GUARD, "on_block": "stop", "refusal": "No."}]},
            "models[0].output_guards[0].refusal",
            "stops has no refusal",
        ),
        (
            {**SYSTEM, "input_guards": [{**GUARD, "on_block": "ignore"}]},
            "models[0].input_guards[0].on_block",
            "'refuse' or 'stop'",
        ),
        (
            {**SYSTEM, "input_guards": [{**GUARD, "model": "guard"}]},
            "models[0].input_guards[0].model",
            "provider/name",
        ),
        (
            {**SYSTEM, "generate": {"temprature": 1}},
            "models[0].generate.temprature",
            "not an Inspect generate setting",
        ),
        ({**AGENT, "agent": None}, "models[0].agent", "an agent needs `agent:`"),
        ({**AGENT, "agent": "agent.py"}, "models[0].agent", "file.py@agent"),
        ({**AGENT, "agent": "missing.py@agent"}, "models[0].agent", "does not exist"),
        ({**AGENT, "tools": ["bash", "curl"]}, "models[0].tools[1]", "unknown tool 'curl'"),
        ({**AGENT, "limits": {"messages": 0}}, "models[0].limits.messages", "greater than"),
        ({**AGENT, "kind": "robot"}, "models[0].kind", "'model', 'system' or 'agent'"),
    ],
)
def test_bad_combinations_are_refused_with_field_and_line(
    make_protocol: ProtocolFactory, form: dict[str, Any], field: str, fragment: str
) -> None:
    found = issues(make_protocol(subject({k: v for k, v in form.items() if v is not None})))
    matching = [i for i in found if i[0] == field]
    assert matching, found
    assert fragment in matching[0][2]
    assert matching[0][1] is not None and matching[0][1] > 1


def spec(data: dict[str, Any]) -> ModelSpec:
    return ModelSpec.model_validate(data)


def test_fingerprint_is_stable_and_ignores_where_the_model_is_served(tmp_path: Path) -> None:
    (tmp_path / "unix").mkdir()
    (tmp_path / "windows").mkdir()
    (tmp_path / "unix" / "p.txt").write_bytes(b"Be careful.\nAlways.\n")
    (tmp_path / "windows" / "p.txt").write_bytes(b"Be careful.\r\nAlways.\r\n")
    data = {**SYSTEM, "system_prompt": None, "system_prompt_file": "p.txt"}
    del data["system_prompt"]
    a = subject_fingerprint(spec(data), tmp_path / "unix")
    b = subject_fingerprint(spec({**data, "base_url": "http://x"}), tmp_path / "windows")
    assert a == b
    assert a.digest.startswith("sha256:") and len(a.digest) == 71
    assert set(a.parts) == {"model", "system_prompt", "input_guards", "output_guards", "generate"}
    # Known value: a change to how fingerprints are computed must be deliberate.
    bare = subject_fingerprint(spec({"id": "m", "model": "accord/guarded"}), tmp_path)
    assert bare.kind == "model" and set(bare.parts) == {"model"}
    assert bare == subject_fingerprint(spec({"id": "other", "model": "accord/guarded"}), tmp_path)


def _changes() -> list[tuple[str, Any]]:
    def guard(side: str, key: str, prefix: str = "") -> Any:
        return lambda d, v: d[side][0].update({key: prefix + v})

    return [
        ("model", lambda d, v: d.update(model=f"accord/{v}")),
        ("model", lambda d, v: d.setdefault("model_args", {}).update(x=v)),
        ("system_prompt", lambda d, v: d.update(system_prompt=f"Be {v}.")),
        ("input_guards", guard("input_guards", "prompt", "{content} ")),
        ("input_guards", guard("input_guards", "model", "p/")),
        ("input_guards", guard("input_guards", "refusal")),
        ("output_guards", guard("output_guards", "block_when")),
        ("output_guards", guard("output_guards", "id", "g")),
        ("generate", lambda d, v: d["generate"].update(temperature=v)),
    ]


@settings(max_examples=80, deadline=None)
@given(data=st.data(), index=st.integers(0, len(_changes()) - 1))
def test_any_definitional_change_changes_the_fingerprint(data: st.DataObject, index: int) -> None:
    part, change = _changes()[index]
    value = data.draw(st.text("abcXYZ019", min_size=1, max_size=8))
    after = copy.deepcopy(SYSTEM)
    change(after, value)
    a, b = subject_fingerprint(spec(SYSTEM), Path(".")), subject_fingerprint(spec(after), Path("."))
    assert a.digest != b.digest
    assert [p for p in FINGERPRINT_PARTS if a.parts.get(p) != b.parts.get(p)] == [part]


def test_agent_fingerprint_covers_scaffold_code_args_tools_and_limits(tmp_path: Path) -> None:
    (tmp_path / "agent.py").write_text("# v1\n")
    base = {**AGENT, "agent": "agent.py@my_agent"}
    first = subject_fingerprint(spec(base), tmp_path)
    (tmp_path / "agent.py").write_text("# v2\n")
    assert subject_fingerprint(spec(base), tmp_path).parts["agent"] != first.parts["agent"]
    (tmp_path / "agent.py").write_text("# v1\n")
    for key, value in (
        ("agent_args", {"attempts": 2}),
        ("tools", ["bash"]),
        ("limits", {"messages": 21}),
    ):
        changed = subject_fingerprint(spec({**base, key: value}), tmp_path)
        assert changed.digest != first.digest
        assert [p for p in first.parts if first.parts[p] != changed.parts.get(p)] == [key]
    registered = subject_fingerprint(spec(AGENT), tmp_path)
    assert registered.kind == "agent" and registered.parts["agent"] != first.parts["agent"]


def test_yaml_example_of_docs_loads(make_protocol: ProtocolFactory) -> None:
    text = yaml.safe_dump(SYSTEM)
    assert ModelSpec.model_validate(yaml.safe_load(text)).input_guards[0].on_block == "refuse"


def test_without_resolving_files_a_hub_accepts_subjects_whose_files_it_lacks(
    make_protocol: ProtocolFactory,
) -> None:
    form = {**SYSTEM, "system_prompt_file": "prompts/p.txt"}
    del form["system_prompt"]
    agent = {**AGENT, "id": "agent", "agent": "agents/scaffold.py@my_agent"}

    def edit(data: dict[str, Any]) -> None:
        data["models"][0] = form
        data["models"].append(agent)
        data["assignments"][0]["models"].append("agent")

    path = make_protocol(edit)
    fields = {field for field, _, _ in issues(path)}
    assert fields == {"models[0].system_prompt_file", "models[2].agent"}
    protocol = parse_protocol(path.read_text(), "p.yaml", path.parent, resolve_tasks=False)
    assert [m.kind for m in protocol.models] == ["system", "model", "agent"]
