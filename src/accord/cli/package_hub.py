"""Test packages on a hub: create an exercise from one, attach one, fetch and verify one."""

from pathlib import Path
from typing import Any

import typer

from ._console import err, out, print_json
from .hub import HubOption, JsonFlag, TokenOption, client


def attach_package_command(
    exercise: str = typer.Argument(..., help="Exercise id (a draft).", show_default=False),
    package: Path = typer.Argument(
        ..., help="The package (*.accordpkg).", show_default=False, exists=True, dir_okay=False
    ),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Attach a signed test package to a draft exercise (once; it never changes).

    The hub verifies it against the partners' registered keys and its protocol id; from
    then on, runs whose task code differs from the package's are flagged as deviations.

    Example: `accord exercise package refusal-pilot pilot.accordpkg`
    """
    _show(upload_package(client(hub, token), exercise, package), json_output)


def create_from_package(package: Path, hub: str | None, token: str | None) -> dict[str, Any]:
    """Create a draft exercise from a package's protocol, then attach the package.

    Raises:
        PackageError: When the package fails its digest checks (nothing is sent then).
        AccordError: When the hub refuses the package; the draft exercise then exists
            without it, and the message says how to attach a fixed one.
    """
    from .._util import AccordError, OperationError
    from ..package import packaged_protocol_text

    text, _ = packaged_protocol_text(package)
    hub_client = client(hub, token)
    created: dict[str, Any] = hub_client.call("POST", "/exercises", json={"protocol_yaml": text})
    try:
        attached = upload_package(hub_client, created["id"], package)
    except AccordError as ex:
        raise OperationError(
            f"exercise '{created['id']}' was created (a draft), but the hub refused its "
            f"package: {ex}. Fix the package and attach it with "
            f"`accord exercise package {created['id']} PACKAGE`"
        ) from None
    return {**created, "package": attached}


def upload_package(hub_client: Any, exercise: str, package: Path) -> dict[str, Any]:
    """PUT a package file to an exercise."""
    with package.open("rb") as stream:
        result: dict[str, Any] = hub_client.call(
            "PUT",
            f"/exercises/{exercise}/package",
            content=stream,
            headers={"Content-Type": "application/octet-stream"},
        )
    return result


def fetch_package(
    hub: str | None, token: str | None, exercise: str, out_dir: Path, keyring: Path
) -> dict[str, Any]:
    """Download an exercise's package into `out_dir` and verify it with YOUR keyring.

    Raises:
        PackageError: When it fails verification (the file is removed then).
    """
    from .._util import OperationError
    from ..identity import read_keyring
    from ..package import verify_package

    ring = read_keyring(keyring)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{exercise}.accordpkg"
    partial = target.with_name(target.name + ".partial")
    headers = client(hub, token).download(f"/exercises/{exercise}/package", partial)
    try:
        verified = verify_package(partial, ring)
    except Exception:
        partial.unlink()
        raise
    claimed = headers.get("x-accord-package-digest")
    if claimed != verified.digest:
        partial.unlink()
        raise OperationError(
            f"the hub says package {claimed}, but the file it sent is {verified.digest}"
        )
    partial.replace(target)
    return {
        "path": str(target),
        "digest": verified.digest,
        "signers": verified.signers,
        "notes": verified.notes,
    }


def print_fetched_package(result: dict[str, Any], json_output: bool) -> None:
    """Where the verified package went, its digest and signers."""
    if json_output:
        print_json(result)
        return
    for note in result["notes"]:
        err.print(f"[yellow]note[/]: {note}", highlight=False)
    out.print(
        f"[green]verified[/]: {result['path']}, signed by {', '.join(result['signers'])}\n"
        f"{result['digest']}\nrun it: accord run {result['path']} --partner ID",
        highlight=False,
    )


def _show(data: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json(data)
        return
    out.print(
        f"exercise {data['exercise_id']}: package {data['digest']} "
        f"(signed by {', '.join(data['signers'])})",
        highlight=False,
    )
