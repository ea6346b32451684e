"""Skip markers for tests that need a system package (installed by `make test` when root)."""

import pytest


def bwrap_unusable() -> str | None:
    """Why the bwrap sandbox cannot run here, or None when it can."""
    from accord.sandbox import SandboxUnavailable, check_bwrap

    try:
        check_bwrap()
    except SandboxUnavailable as ex:
        return f"{ex} (`make test` installs bubblewrap when run as root with apt-get)"
    return None


_REASON = bwrap_unusable()

needs_bwrap = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")
"""Skip a test that runs tasks in the bwrap sandbox when bubblewrap is missing or unusable."""
