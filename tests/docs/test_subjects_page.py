"""The examples of docs/subjects.md are valid subjects and guards."""

import re
from pathlib import Path

import yaml

from accord.protocol import GuardSpec, parse_protocol, subject_fingerprint

PAGE = Path(__file__).parents[2] / "docs" / "subjects.md"


def test_every_yaml_example_validates(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", PAGE.read_text(), re.DOTALL)
    checked = 0
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "assistant.txt").write_text("You are a helpful assistant.\n")
    for block in blocks:
        if "[...]" in block:
            continue  # an abbreviated example
        data = yaml.safe_load(block)
        if "models" in data:
            # A whole protocol around the models, checked with every cross-field rule.
            document = {
                "accord": 1,
                "name": "page",
                "partners": [{"id": "a", "name": "A"}],
                "models": data["models"],
                "tasks": [{"id": "t", "task": "accord/refusal"}],
                "assignments": [
                    {"partner": "a", "tasks": ["t"], "models": [m["id"] for m in data["models"]]}
                ],
            }
            text = yaml.safe_dump(document)
            protocol = parse_protocol(text, "page.yaml", tmp_path, resolve_tasks=False)
            for spec in protocol.models:
                assert subject_fingerprint(spec, tmp_path).kind == spec.kind
                checked += 1
        for side in ("input_guards", "output_guards"):
            for entry in data.get(side, []):
                GuardSpec.model_validate(entry)
                checked += 1
    assert checked >= 5
