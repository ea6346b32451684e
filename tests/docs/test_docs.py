"""The docs describe the code: every protocol field is documented and the examples validate."""

import re
from pathlib import Path

from pydantic import BaseModel

from accord.protocol import Protocol, parse_protocol
from accord.run import LogRecord, RunManifest

DOCS = Path(__file__).parents[2] / "docs"


def field_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for candidate in _models_in(field.annotation):
            names |= field_names(candidate)
    return names


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def documented(page: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)`", (DOCS / page).read_text(), re.MULTILINE))


def test_every_protocol_field_is_in_the_reference() -> None:
    assert field_names(Protocol) <= documented("protocol.md")


def test_reference_documents_no_field_that_does_not_exist() -> None:
    assert documented("protocol.md") <= field_names(Protocol)


def test_every_manifest_field_is_documented() -> None:
    text = (DOCS / "runs.md").read_text()
    for name in field_names(RunManifest) | set(LogRecord.model_fields):
        assert f"`{name}`" in text, name


def test_reference_example_is_a_valid_protocol(tmp_path: Path) -> None:
    text = (DOCS / "protocol.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert example is not None
    protocol = parse_protocol(example.group(1), "docs/protocol.md", tmp_path, resolve_tasks=False)
    assert protocol.name == "safeguards-pilot" and protocol.tasks[0].epochs == 3


def test_every_bundle_field_is_documented() -> None:
    from accord.bundle import BundleDocument, BundleMember

    text = (DOCS / "bundle-format.md").read_text()
    for name in set(BundleDocument.model_fields) | set(BundleMember.model_fields):
        assert f"`{name}`" in text, name
