"""Each disclosure level, read back with Inspect: what must go is gone, what must stay stays."""

import zipfile
from pathlib import Path

import pytest
from inspect_ai.log import (
    EvalLog,
    read_eval_log,
    read_eval_log_sample,
    read_eval_log_sample_summaries,
)

from accord.bundle import REDACTION_KEY, build_bundle, content_digests
from accord.run import read_manifest
from tests.bundle.conftest import Exercise


@pytest.fixture(scope="module")
def unpacked(exercise: Exercise, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("disclosure")
    built = build_bundle(exercise.run_dir, exercise.protocol, exercise.key, root / "a.accord")
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(root / "x")
    return {m.disclosure: root / "x" / m.name for m in built.document.members}


def original(exercise: Exercise, level: str) -> tuple[Path, EvalLog]:
    record = read_manifest(exercise.run_dir).log(f"refusal-{level}", "subject")
    assert record is not None
    path = exercise.run_dir / record.file
    return path, read_eval_log(str(path))


def member_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_scores_level_keeps_only_scores_and_shared_metadata(
    exercise: Exercise, unpacked: dict[str, Path]
) -> None:
    _, before = original(exercise, "scores")
    after = read_eval_log(str(unpacked["scores"]))
    assert after.status == "success" and after.results == before.results
    summaries = read_eval_log_sample_summaries(str(unpacked["scores"]))
    assert sorted((str(s.id), s.epoch) for s in summaries) == sorted(
        (str(s.id), s.epoch) for s in before.samples or []
    )
    assert all(s.input == "" and s.target == "" for s in summaries)
    first = (before.samples or [])[0]
    one = read_eval_log_sample(str(unpacked["scores"]), first.id, first.epoch)
    assert one.uuid == first.uuid and one.input == ""
    assert read_eval_log(str(unpacked["scores"]), header_only=True).eval == before.eval
    pairs = zip(before.samples or [], after.samples or [], strict=True)
    for old, new in pairs:
        assert (new.id, new.epoch, new.uuid) == (old.id, old.epoch, old.uuid)
        assert {k: s.value for k, s in (new.scores or {}).items()} == {
            k: s.value for k, s in (old.scores or {}).items()
        }
        assert all(s.answer is None and s.explanation is None for s in (new.scores or {}).values())
        assert new.input == "" and new.target == "" and new.output.completion == ""
        assert new.messages == [] and new.events == [] and new.store == {} and new.attachments == {}
        assert new.model_usage == old.model_usage
        redaction = new.metadata.pop(REDACTION_KEY)
        assert new.metadata == {k: old.metadata[k] for k in ("category", "kind", "pair")}
        assert redaction == {"level": "scores", **content_digests(old)}
    text = member_text(unpacked["scores"])
    for sample in before.samples or []:
        assert str(sample.input) not in text  # not in samples, summaries or journal
        assert sample.output.completion not in text


def test_samples_level_keeps_content_but_not_transcripts(
    exercise: Exercise, unpacked: dict[str, Path]
) -> None:
    _, before = original(exercise, "samples")
    after = read_eval_log(str(unpacked["samples"]))
    for old, new in zip(before.samples or [], after.samples or [], strict=True):
        assert (new.input, new.target) == (old.input, old.target)
        assert new.output.completion == old.output.completion
        assert new.scores == old.scores
        assert new.messages == [] and new.events == []
        redaction = new.metadata.pop(REDACTION_KEY)
        assert new.metadata == old.metadata
        assert redaction == {"level": "samples", **content_digests(old)}
    assert all(len(s.messages) >= 2 and s.events for s in before.samples or [])


def test_transcripts_level_ships_the_log_as_run(
    exercise: Exercise, unpacked: dict[str, Path]
) -> None:
    path, before = original(exercise, "transcripts")
    assert unpacked["transcripts"].read_bytes() == path.read_bytes()
    after = read_eval_log(str(unpacked["transcripts"]))
    assert [len(s.messages) for s in after.samples or []] == [
        len(s.messages) for s in before.samples or []
    ]
