"""`import accord.cli` stays cheap: the heavy layers load only in the commands that use them."""

import json
import subprocess
import sys

HEAVY = ("inspect_ai", "scipy", "numpy", "sqlalchemy", "fastapi", "pandas", "httpx")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert _loaded_after("import accord.cli") & set(HEAVY) == set()


def test_help_and_version_load_no_heavy_module() -> None:
    for args in (["--help"], ["--version"], ["run", "--help"], ["hub", "--help"]):
        code = (
            "import sys\nfrom accord.cli import app\n"
            f"sys.argv = ['accord', *{args!r}]\n"
            "try:\n    app()\nexcept SystemExit:\n    pass"
        )
        assert _loaded_after(code) & set(HEAVY) == set(), args


def test_the_probe_would_see_a_heavy_import() -> None:
    assert "sqlalchemy" in _loaded_after("import accord.store")
