"""Option parsing shared by several command groups."""

import os
from datetime import UTC, datetime

from .._util import InputError


def passphrase_from_env(variable: str | None) -> bytes | None:
    """The passphrase held in environment variable `variable`, if one was named.

    Raises:
        InputError: When the variable is named but not set or empty.
    """
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise InputError(f"environment variable {variable} (--passphrase-env) is not set or empty")
    return value.encode()


def parse_time(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 date or time as aware UTC; times without a zone are taken as UTC.

    Raises:
        InputError: When the text is not ISO 8601.
    """
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option} '{text}' is not an ISO 8601 date or time (e.g. 2027-01-31 or "
            "2027-01-31T12:00:00Z)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def check_hub_settings(url: str, token_flag: str | None) -> None:
    """Refuse, before any request, a hub URL without a scheme and an empty token.

    `token_flag` is the --token value; an empty ACCORD_TOKEN is refused too.

    Raises:
        InputError: Naming the option or variable to fix.
    """
    if not url.startswith(("http://", "https://")):
        raise InputError(
            f"hub URL '{url}' has no scheme; give it as http://{url} or https://{url} "
            "(--hub or ACCORD_HUB_URL)"
        )
    given = token_flag if token_flag is not None else os.environ.get("ACCORD_TOKEN")
    if given is not None and not given.strip():
        raise InputError(
            "the API token is empty (--token or ACCORD_TOKEN); give the token that "
            "`accord hub init` or `accord hub token <member id>` printed"
        )
