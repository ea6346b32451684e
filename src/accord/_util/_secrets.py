"""Detection of credentials in data that is about to be written or shipped."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Keys whose values are credentials whatever they look like.
_SECRET_KEYS = frozenset(
    {
        "api_key",
        "apikey",
        "access_key",
        "secret",
        "secret_key",
        "client_secret",
        "password",
        "passwd",
        "token",
        "access_token",
        "auth_token",
        "bearer",
        "authorization",
        "private_key",
    }
)
_KEY_LITERALS = tuple(
    f'"{variant}"' for key in _SECRET_KEYS for variant in {key, key.replace("_", "-")}
)


@dataclass(frozen=True)
class _Shape:
    kind: str
    pattern: re.Pattern[str]
    lowercase: bool = False  # match against the lower-cased text
    word_start: bool = True  # the match must not continue a word


# Each pattern starts with a literal, which keeps scanning large logs fast.
_SHAPES = (
    _Shape("an OpenAI-style API key", re.compile(r"sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}")),
    _Shape("a Google API key", re.compile(r"AIza[0-9A-Za-z_\-]{30,}")),
    _Shape("an AWS access key id", re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])")),
    _Shape("a GitHub token", re.compile(r"(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}")),
    _Shape("a Hugging Face token", re.compile(r"hf_[A-Za-z0-9]{20,}")),
    _Shape("a Slack token", re.compile(r"xox[abposr]-[A-Za-z0-9\-]{10,}")),
    _Shape("a bearer token", re.compile(r"bearer\s+[a-z0-9_\-.=:+/]{16,}"), lowercase=True),
    _Shape("a URL with credentials", re.compile(r"://[^/\s:@\"']+:[^/\s@\"']+@"), word_start=False),
    _Shape("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), word_start=False),
)


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


def might_contain_secret(text: str) -> bool:
    """A fast pre-check of JSON text: False means `find_secrets` would find nothing in it."""
    lowered = text.lower()
    return any(k in lowered for k in _KEY_LITERALS) or _shape_of(text, lowered) is not None


def _shape_of(text: str, lowered: str) -> str | None:
    for shape in _SHAPES:
        subject = lowered if shape.lowercase else text
        for match in shape.pattern.finditer(subject):
            start = match.start()
            if not shape.word_start or start == 0 or not subject[start - 1].isalnum():
                return shape.kind
    return None


def _walk(value: Any, path: str) -> Iterator[SecretFinding]:
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            normal = key.lower().replace("-", "_") if isinstance(key, str) else None
            if normal in _SECRET_KEYS and item not in (None, "", {}, []):
                yield SecretFinding(child, f"a value under the credential key '{key}'")
            else:
                yield from _walk(item, child)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(value, str):
        kind = _shape_of(value, value.lower())
        if kind is not None:
            yield SecretFinding(path or "<root>", kind)
