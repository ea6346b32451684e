"""Skip markers for tests that need a system package (installed by `make test` when root).

`make test` installs `bubblewrap` and `chromium` with apt-get when it runs as root on
Debian/Ubuntu (.ci/system-packages); elsewhere the tests that need a missing one skip,
saying which package and how to install it.
"""

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


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


def chromium_missing() -> str | None:
    """Why there is no Chromium for PDF rendering here, or None when there is."""
    if CHROMIUM.is_file():
        return None
    return (
        f"chromium is not installed at {CHROMIUM}: `apt-get install chromium` "
        "(`make test` installs it when run as root with apt-get)"
    )


needs_chromium = pytest.mark.skipif(chromium_missing() is not None, reason=chromium_missing() or "")
"""Skip a test that renders with Chromium (Playwright, executable_path=/usr/bin/chromium)."""
