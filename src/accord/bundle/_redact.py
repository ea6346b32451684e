"""Disclosure: cutting a log down to what the protocol lets leave the institute."""

from collections.abc import Collection
from typing import Any, TypeVar

from inspect_ai.log import EvalError, EvalSample, resolve_sample_attachments
from inspect_ai.model import ModelOutput
from inspect_ai.scorer import Score

from .._util import sha256_digest
from ..protocol import DisclosureLevel
from ..run import normalise_input

REDACTION_KEY = "accord.redaction"
"""Sample metadata key with the level applied and digests of what was removed or kept."""

_AnyScore = TypeVar("_AnyScore", bound=Score)

WITHHELD = "(withheld at disclosure level 'scores')"


def content_digests(sample: EvalSample) -> dict[str, str]:
    """Digests of a sample's input, target and final output, to check sameness unseen.

    input: sha256 of canonical JSON of the input as in the dataset digest (strings as they
    are; messages as role and content); target: of the target; output: of the completion.
    """
    return {
        "input_sha256": sha256_digest(normalise_input(sample.input)),
        "target_sha256": sha256_digest(sample.target),
        "output_sha256": sha256_digest(sample.output.completion),
    }


def redact_sample(
    sample: EvalSample, level: DisclosureLevel, keep_metadata: Collection[str]
) -> EvalSample:
    """One sample cut down to `level`.

    `transcripts` keeps everything. `samples` keeps inputs, targets, final outputs, scores
    and metadata, and drops messages, events, stores and attachments. `scores` keeps ids,
    epochs, score values, usage and timing, and the metadata keys in `keep_metadata`, and
    replaces content by digests.
    """
    if level == "transcripts":
        return sample
    sample = resolve_sample_attachments(sample)
    digests = content_digests(sample)
    common: dict[str, Any] = {
        "messages": [],
        "events": [],
        "timelines": None,
        "events_data": None,
        "store": {},
        "attachments": {},
        "error": _error(sample.error, level),
        "error_retries": [
            retry.model_copy(
                update={
                    "message": WITHHELD if level == "scores" else retry.message,
                    "traceback": "",
                    "traceback_ansi": "",
                    "events": [],
                }
            )
            for retry in sample.error_retries or []
        ]
        or None,
    }
    if level == "samples":
        metadata = {**sample.metadata, REDACTION_KEY: {"level": level, **digests}}
        return sample.model_copy(update={**common, "metadata": metadata})
    kept = {k: v for k, v in sample.metadata.items() if k in keep_metadata}
    return sample.model_copy(
        update={
            **common,
            "input": "",
            "target": "",
            "choices": None,
            "description": None,
            "sandbox": None,
            "files": None,
            "setup": None,
            "output": ModelOutput(
                model=sample.output.model, usage=sample.output.usage, time=sample.output.time
            ),
            "scores": {name: bare_score(score) for name, score in (sample.scores or {}).items()},
            "metadata": {**kept, REDACTION_KEY: {"level": level, **digests}},
        }
    )


def bare_score(score: _AnyScore) -> _AnyScore:
    return score.model_copy(
        update={"answer": None, "explanation": None, "metadata": None, "history": []}
    )


def _error(error: EvalError | None, level: DisclosureLevel) -> EvalError | None:
    if error is None:
        return None
    message = WITHHELD if level == "scores" else error.message
    return EvalError(message=message, traceback="", traceback_ansi="")
