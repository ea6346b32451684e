"""Detection of credentials in data that is about to be written or shipped.

Two rules, applied to decoded data (after JSON unescaping), to dict keys as well as values:

- a string shaped like a known credential: the regex-based detectors of the maintained
  `detect-secrets` library (AWS, GitHub, GitLab, Slack, Stripe, OpenAI, private keys, JWTs,
  ...) plus a few shapes it lacks (newer OpenAI and Anthropic keys, Google and Hugging Face
  keys, bearer tokens, URLs with credentials);
- any non-empty string under a key whose name says it holds a credential (`api_key`,
  `x-api-key`, `authorization`, `aws_secret_access_key`, anything with a `secret`, `password`
  or `credential` part, ...), including `[name, value]` pairs and `{"name": .., "value": ..}`
  header records.

Every string is gathered once and all shapes run over one joined text, so the scan is linear
in the size of the data and its regexes run in C.
"""

import bisect
import hashlib
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from typing import Any

# Keys whose values are credentials whatever they look like (normalised: lower case, `_`).
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
        "refresh_token",
        "id_token",
        "bearer",
        "authorization",
        "proxy_authorization",
        "private_key",
        "x_api_key",
        "x_auth_token",
        "cookie",
        "set_cookie",
    }
)
# Parts of a key name that mark it as a credential wherever they sit (`aws_secret_access_key`).
_SECRET_PART = re.compile(
    r"(?:^|_)(?:secret|secrets|password|passwd|passphrase|credential|credentials|"
    r"api_key|apikey|private_key|access_key|secret_key|auth_token|access_token)(?:_|$)"
)
_SEPARATOR = "\n\0\n"  # no shape's pattern crosses it: `.` stops at \n, `\s` at \0


@dataclass(frozen=True)
class _Shape:
    kind: str
    pattern: re.Pattern[str]
    word_start: bool = True  # the match must not continue a word

    @property
    def anchor(self) -> str | None:
        """A literal every match contains (lower-cased when the pattern ignores case)."""
        return _anchor(self.pattern)

    @property
    def ignore_case(self) -> bool:
        """Whether the pattern ignores case (its anchor is then searched lower-cased)."""
        return bool(self.pattern.flags & re.IGNORECASE)


@cache
def _anchor(pattern: re.Pattern[str]) -> str | None:
    # The longest run of literal characters among the pattern's mandatory top-level items:
    # where the text lacks it, the (slower) regex need not run at all.
    from re import _constants as constants  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]

    best, run = "", ""
    for op, argument in parser.parse(pattern.pattern, pattern.flags):
        if op is constants.LITERAL:
            run += chr(argument)
            best = max(best, run, key=len)
        else:
            run = ""
    if len(best) < 2:
        return None
    return best.lower() if pattern.flags & re.IGNORECASE else best


_OWN_SHAPES = (
    _Shape(
        "an OpenAI-style API key", re.compile(r"sk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_\-]{16,}")
    ),
    _Shape("a Google API key", re.compile(r"AIza[0-9A-Za-z_\-]{30,}")),
    _Shape("a Hugging Face token", re.compile(r"hf_[A-Za-z0-9]{20,}")),
    _Shape("a GitHub token", re.compile(r"github_pat_[A-Za-z0-9_]{20,}")),
    _Shape(
        "a URL with credentials",
        re.compile(r"://[^/\s:@\"'\0]+:[^/\s@\"'\0]+@"),
        word_start=False,
    ),
    _Shape("a bearer token", re.compile(r"bearer\s+[a-z0-9_\-.=:+/]{16,}", re.IGNORECASE)),
)
# detect-secrets' regex detectors with specific shapes; the keyword, entropy and IP detectors
# are left out (they flag ordinary prose and numbers in transcripts).
_DETECTORS = (
    "aws.AWSKeyDetector",
    "azure_storage_key.AzureStorageKeyDetector",
    "github_token.GitHubTokenDetector",
    "gitlab_token.GitLabTokenDetector",
    "jwt.JwtTokenDetector",
    "npm.NpmDetector",
    "openai.OpenAIDetector",
    "private_key.PrivateKeyDetector",
    "pypi_token.PypiTokenDetector",
    "sendgrid.SendGridDetector",
    "slack.SlackDetector",
    "square_oauth.SquareOAuthDetector",
    "stripe.StripeDetector",
    "twilio.TwilioKeyDetector",
)


@cache
def _shapes() -> tuple[_Shape, ...]:
    import importlib

    shapes = list(_OWN_SHAPES)
    for qualified in _DETECTORS:
        module, name = qualified.split(".")
        detector = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        kind = f"a {detector.secret_type} (detect-secrets)"
        shapes += [_Shape(kind, pattern, word_start=False) for pattern in detector.denylist]
    return tuple(shapes)


@dataclass(frozen=True)
class SecretFinding:
    """A place where a credential appears.

    Attributes:
        path: Where in the data, e.g. `models[0].model_args.api_key`.
        kind: What it looks like, e.g. `an OpenAI-style API key`.
        canary: True when the value is a declared canary (a planted test credential):
            reported, not refused.
    """

    path: str
    kind: str
    canary: bool = False


def canary_matcher(canaries: Collection[str]) -> "CanaryMatcher":
    """A matcher for declared canaries: exact strings, or `sha256:<hex>` digests of them."""
    return CanaryMatcher(frozenset(canaries))


@dataclass(frozen=True)
class CanaryMatcher:
    """Tells whether a found credential is a declared canary."""

    canaries: frozenset[str]

    def __call__(self, text: str) -> bool:
        if not self.canaries:
            return False
        if text in self.canaries:
            return True
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest() in self.canaries


_NO_CANARIES = CanaryMatcher(frozenset())


def find_secrets(
    value: Any, path: str = "", canaries: CanaryMatcher = _NO_CANARIES
) -> list[SecretFinding]:
    """Find credentials in nested data: in values and keys, by shape and by the key's name.

    Args:
        value: Nested dicts, lists and scalars (decoded JSON).
        path: Where `value` sits, prefixed to every finding's path.
        canaries: Declared test credentials; where one is found the finding is marked
            `canary` instead of being a leak.

    Returns:
        One finding per place, in document order.
    """
    named: list[tuple[int, SecretFinding]] = []
    places: list[_Place] = []
    texts: list[str] = []
    _gather(value, (path,) if path else None, None, named, places, texts, canaries)
    ordered = named + _by_shape(places, texts, canaries)
    return [finding for _, finding in sorted(ordered, key=lambda item: item[0])]


# Where a value sits, built cheaply while walking and rendered only for a finding:
# None (the root), (name,) for a given prefix, or (parent, key, is_key).
_Place = tuple[Any, ...] | None


def _render(place: _Place) -> str:
    parts: list[str] = []
    suffix = ""
    while place is not None:
        if len(place) == 1:
            parts.append(str(place[0]))
            break
        parent, key, is_key = place
        if is_key:
            suffix = " (a key)"
        parts.append(f"[{key}]" if isinstance(key, int) else f".{_safe_key(key)}")
        place = parent
    text = "".join(reversed(parts)).lstrip(".")
    return (text or "<root>") + suffix


def might_contain_secret(text: str) -> bool:
    """Whether raw text (not JSON) holds something shaped like a credential."""
    return bool(_by_shape([("<text>",)], [text], _NO_CANARIES))


def _gather(
    value: Any,
    place: _Place,
    secret: str | None,
    named: list[tuple[int, SecretFinding]],
    places: list[_Place],
    texts: list[str],
    canaries: CanaryMatcher,
) -> None:
    """Collect every string to scan by shape; record strings under credential names.

    `secret` is the credential name the value sits under, if any.
    """
    if isinstance(value, dict):
        pair_name = value.get("name", value.get("key"))
        pair = pair_name if isinstance(pair_name, str) and _secret_name(pair_name) else None
        for key, item in value.items():
            if isinstance(key, str):
                places.append((place, key, True))
                texts.append(key)
                inner = secret or (key if _secret_name(key) else None)
            else:
                inner = secret
            if pair is not None and key == "value":
                inner = pair
            if isinstance(item, str) and inner is None:  # the common leaf, inline
                places.append((place, key, False))
                texts.append(item)
            else:
                _gather(item, (place, key, False), inner, named, places, texts, canaries)
    elif isinstance(value, list | tuple):
        first = value[0] if len(value) == 2 else None
        pair = first if isinstance(first, str) and _secret_name(first) else None
        for index, item in enumerate(value):
            inner = secret or (pair if index == 1 else None)
            _gather(item, (place, index, False), inner, named, places, texts, canaries)
    elif isinstance(value, str):
        if secret is not None and _credential_value(secret, value):
            kind = f"a value under the credential key '{secret}'"
            finding = SecretFinding(_render(place), kind, canaries(value))
            named.append((len(places), finding))
            return
        places.append(place)
        texts.append(value)


def _safe_key(key: Any) -> str:
    # A key on the way to a finding may itself be a credential: never print one in full.
    text = str(key)
    if len(text) >= 16 and any(next(_matches(shape, text), None) for shape in _shapes()):
        return f"{text[:6]}...({len(text)} chars)"
    return text


def _mask(path: str, secret: str) -> str:
    # The credential can sit in a key, so in the path: never repeat it in a message.
    return path.replace(secret, f"{secret[:6]}...({len(secret)} chars)")


def _normal(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


@lru_cache(maxsize=1 << 16)  # key names repeat in every sample
def _secret_name(key: str) -> bool:
    normal = _normal(key)
    return normal in _SECRET_KEYS or _SECRET_PART.search(normal) is not None


def _credential_value(name: str, value: str) -> bool:
    if not value.strip() or _placeholder(value):
        return False
    if _normal(name) in _SECRET_KEYS:
        return True
    # Names that only contain a credential word (`detect-secrets`, `password_hint`) hold a
    # credential only when the value looks like one: one word of 8 or more characters.
    return len(value) >= 8 and not any(c.isspace() for c in value)


def _placeholder(value: str) -> bool:
    # Values that say a secret was withheld are not secrets.
    lowered = value.strip().lower()
    return lowered in {"***", "<redacted>", "[redacted]", "redacted", "none", "null"} or (
        lowered.startswith("(withheld") or set(lowered) <= {"*", "x", "."}
    )


def _by_shape(
    places: list[_Place], texts: list[str], canaries: CanaryMatcher
) -> list[tuple[int, SecretFinding]]:
    if not texts:
        return []
    joined = _SEPARATOR.join(texts)
    lowered = joined.lower()
    starts: list[int] | None = None
    found: dict[int, SecretFinding] = {}
    for shape in _shapes():
        anchor = shape.anchor
        if anchor is not None and anchor not in (lowered if shape.ignore_case else joined):
            continue
        for match in _matches(shape, joined):
            if starts is None:
                step = len(_SEPARATOR)
                starts = list(accumulate((len(t) + step for t in texts[:-1]), initial=0))
            index = bisect.bisect_right(starts, match.start()) - 1
            if index in found and not found[index].canary:
                continue
            canary = canaries(match.group(0)) or canaries(texts[index])
            where = _mask(_render(places[index]), match.group(0))
            found[index] = SecretFinding(where, shape.kind, canary)
    return sorted(found.items())


def _matches(shape: _Shape, text: str) -> Iterator[re.Match[str]]:
    for match in shape.pattern.finditer(text):
        start = match.start()
        if not shape.word_start or start == 0 or not text[start - 1].isalnum():
            yield match
