"""What `accord suites list` shows: each suite with its version, samples and doc."""

from dataclasses import dataclass

from ._data import CtfRow, InjectionRow, RefusalRow, load_rows
from ._tasks import CTF_VERSION, INJECTION_VERSION, JAILBREAK_VERSION, REFUSAL_VERSION
from ._transforms import TRANSFORMS


@dataclass(frozen=True)
class SuiteInfo:
    """A built-in suite."""

    name: str
    version: int
    samples: int
    summary: str
    doc: str


SUITES = ("refusal", "jailbreak", "prompt_injection", "ctf")


def suite_infos() -> list[SuiteInfo]:
    """Every built-in suite, counted from its shipped data."""
    refusal_rows = load_rows("refusal.jsonl", RefusalRow)
    harmful = sum(1 for r in refusal_rows if r.kind == "harmful")
    return [
        SuiteInfo(
            "accord/refusal",
            REFUSAL_VERSION,
            len(refusal_rows),
            "harmful requests to refuse, benign look-alikes to answer",
            "docs/suites/refusal.md",
        ),
        SuiteInfo(
            "accord/jailbreak",
            JAILBREAK_VERSION,
            harmful * len(TRANSFORMS),
            "harmful requests through attack transforms",
            "docs/suites/jailbreak.md",
        ),
        SuiteInfo(
            "accord/prompt_injection",
            INJECTION_VERSION,
            len(load_rows("prompt_injection.jsonl", InjectionRow)),
            "tool-using agent; injected instructions in tool results",
            "docs/suites/prompt_injection.md",
        ),
        SuiteInfo(
            "accord/ctf",
            CTF_VERSION,
            len(load_rows("ctf.jsonl", CtfRow)),
            "capture the flag with bash and python in the bwrap sandbox",
            "docs/suites/ctf.md",
        ),
    ]
