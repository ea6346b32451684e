"""Fetching partners' bundles from a hub: download, verify offline, unpack for Inspect.

The hub is not trusted here: every bundle is checked against the caller's own keyring and
the exercise's protocol id before anything of it is unpacked.
"""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._util import InputError
from ..bundle import BundleError, open_bundle, verify_bundle
from ..identity import Keyring
from ..run import MANIFEST_FILE
from ._client import HubClient


@dataclass(frozen=True)
class FetchedBundle:
    """One verified bundle and where its logs were unpacked."""

    submission_id: str
    partner: str
    sha256: str
    key_id: str
    signed_at: str
    bundle: Path
    run_dir: Path
    logs: int


def fetch_exercise(
    api: HubClient,
    exercise: str,
    out_dir: Path,
    keyring: Keyring,
    partner: str | None = None,
) -> list[FetchedBundle]:
    """Download the current bundles of `exercise`, verify each, and unpack their logs.

    Writes `out_dir/protocol.yaml`, `out_dir/bundles/<partner>-<submission>.accord`, and a
    run directory per bundle (`out_dir/<partner>/`, or `out_dir/<partner>-<submission>/`
    when a partner's current runs came in several bundles) holding `manifest.json` and the
    redacted `.eval` logs: ready for `inspect view --log-dir` and `accord analyze`.

    Raises:
        InputError: When the exercise or partner is unknown or hidden from the caller.
        BundleError: When a bundle does not verify; nothing of it is unpacked.
    """
    info = api.call("GET", f"/exercises/{exercise}")
    rows = [
        s
        for s in api.call("GET", f"/exercises/{exercise}/submissions")
        if s["current"] and partner in (None, s["institute_id"])
    ]
    if partner is not None and partner not in info["partners"]:
        raise InputError(
            f"'{partner}' is not a partner of exercise '{exercise}' "
            f"(partners: {', '.join(info['partners'])})"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "protocol.yaml").write_text(info["protocol_yaml"], encoding="utf-8")
    (out_dir / "bundles").mkdir(exist_ok=True)
    per_partner: dict[str, int] = {}
    for row in rows:
        per_partner[row["institute_id"]] = per_partner.get(row["institute_id"], 0) + 1
    fetched = []
    for row in rows:
        name = row["institute_id"]
        if per_partner[name] > 1:
            name = f"{name}-{row['id']}"
        fetched.append(_fetch_one(api, exercise, row, out_dir, name, keyring, info["protocol_id"]))
    return fetched


def _fetch_one(
    api: HubClient,
    exercise: str,
    row: dict[str, str],
    out_dir: Path,
    name: str,
    keyring: Keyring,
    protocol_id: str,
) -> FetchedBundle:
    target = out_dir / "bundles" / f"{row['institute_id']}-{row['id']}.accord"
    run_dir = out_dir / name
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=out_dir) as temp:
        partial = Path(temp) / "bundle.accord"
        api.download(f"/exercises/{exercise}/submissions/{row['id']}/bundle", partial)
        try:
            verified = verify_bundle(partial, keyring, expected_protocol_id=protocol_id)
        except BundleError as ex:
            raise BundleError(
                f"the bundle of {row['institute_id']}'s submission {row['id']} does not "
                f"verify with your keyring: {ex}"
            ) from None
        if verified.sha256 != row["bundle_sha256"]:
            raise BundleError(
                f"the hub served a bundle for submission {row['id']} with digest "
                f"{verified.sha256}, but lists it as {row['bundle_sha256']}"
            )
        if verified.document.partner != row["institute_id"]:
            raise BundleError(
                f"submission {row['id']} is listed as {row['institute_id']}'s but the bundle "
                f"is signed as {verified.document.partner}'s"
            )
        staged = Path(temp) / "run"
        staged.mkdir()
        with open_bundle(partial) as opened:
            for member in verified.document.members:
                shutil.copyfile(
                    opened.member(member.name), staged / member.name.removeprefix("logs/")
                )
        manifest = verified.document.run_manifest.model_dump_json(indent=2) + "\n"
        (staged / MANIFEST_FILE).write_text(manifest, encoding="utf-8")
        if run_dir.exists():
            shutil.rmtree(run_dir)
        staged.replace(run_dir)
        partial.replace(target)
    document = verified.document
    return FetchedBundle(
        row["id"],
        document.partner,
        verified.sha256,
        document.key_id,
        document.created.isoformat(),
        target,
        run_dir,
        len(document.members),
    )
