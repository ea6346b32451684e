"""Built-in safety suites as Inspect tasks (see docs/suites/).

`accord/refusal`, `accord/jailbreak`, `accord/prompt_injection` and `accord/ctf`.
"""

from ._data import SCHEMAS, CtfRow, InjectionRow, RefusalRow, load_rows
from ._judge import REFUSAL_PATTERNS, RUBRIC, is_refusal
from ._registry import SUITES, SuiteInfo, suite_infos
from ._tasks import ctf, jailbreak, prompt_injection, refusal
from ._transforms import TRANSFORMS, compose

__all__ = [
    "REFUSAL_PATTERNS",
    "RUBRIC",
    "SCHEMAS",
    "SUITES",
    "TRANSFORMS",
    "CtfRow",
    "InjectionRow",
    "RefusalRow",
    "SuiteInfo",
    "compose",
    "ctf",
    "is_refusal",
    "jailbreak",
    "load_rows",
    "prompt_injection",
    "refusal",
    "suite_infos",
]
