"""Detection of credentials in data that is about to be written or shipped."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Keys whose values are credentials whatever they look like.
_SECRET_KEY = re.compile(
    r"^(api[_-]?key|apikey|access[_-]?key|secret([_-]?key)?|client[_-]?secret|password|passwd|"
    r"token|access[_-]?token|auth[_-]?token|bearer|authorization|private[_-]?key)$",
    re.IGNORECASE,
)

# Values that look like credentials wherever they appear.
_SECRET_VALUE: list[tuple[str, re.Pattern[str]]] = [
    ("an OpenAI-style API key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("a bearer token", re.compile(r"\bBearer\s+[A-Za-z0-9_\-\.=:+/]{16,}", re.IGNORECASE)),
    ("a URL with credentials", re.compile(r"\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:[^/\s@]+@[^\s]+")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
]


@dataclass(frozen=True)
class SecretFinding:
    """A place where a credential appears.

    Attributes:
        path: Where in the data, e.g. `models[0].model_args.api_key`.
        kind: What it looks like, e.g. `an OpenAI-style API key`.

    """

    path: str
    kind: str


def find_secrets(value: Any, path: str = "") -> list[SecretFinding]:
    """Find credentials in nested data: secret-named keys with values, and secret-shaped strings.

    Args:
        value: Nested dicts, lists and scalars.
        path: Where `value` sits, prefixed to every finding's path.

    Returns:
        One finding per place, in document order.

    """
    return list(_walk(value, path))


def _walk(value: Any, path: str) -> Iterator[SecretFinding]:
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _SECRET_KEY.match(key) and item not in (None, "", {}, []):
                yield SecretFinding(child, f"a value under the credential key '{key}'")
            else:
                yield from _walk(item, child)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(value, str):
        for kind, pattern in _SECRET_VALUE:
            if pattern.search(value):
                yield SecretFinding(path or "<root>", kind)
                break
