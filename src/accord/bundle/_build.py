"""Building a signed bundle from a finished run."""

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .._util import InputError, OperationError, SecretFinding, canonical_json, find_secrets
from ..identity import PartnerAct, key_id_of, sign
from ..protocol import ProtocolFile, protocol_id, short_id
from ..run import LogRecord, RunManifest, file_digest, read_manifest
from ._archive import write_archive
from ._evalfile import redact_eval_file
from ._format import (
    BUNDLE_SUFFIX,
    DOCUMENT_NAME,
    SIGNATURE_NAME,
    BundleDocument,
    BundleMember,
    BundleSignature,
)


@dataclass(frozen=True)
class BuiltBundle:
    """A bundle written by `build_bundle`."""

    path: Path
    sha256: str
    document: BundleDocument


def default_bundle_path(manifest: RunManifest) -> Path:
    """`<partner>-<protocol short id>.accord` in the current directory."""
    return Path(f"{manifest.partner}-{short_id(manifest.protocol_id)}{BUNDLE_SUFFIX}")


def build_bundle(
    run_dir: Path,
    protocol_file: ProtocolFile,
    private_key: Ed25519PrivateKey,
    out: Path | None = None,
    *,
    overwrite: bool = False,
    allow_partial: bool = False,
    key_partner: str | None = None,
    signoffs: Sequence[PartnerAct] = (),
) -> BuiltBundle:
    """Redact a finished run per the protocol's disclosure rules, pack and sign it.

    Args:
        run_dir: The run directory `accord run` wrote.
        protocol_file: The protocol the run followed.
        private_key: The institute's signing key.
        out: The bundle file [default: `<partner>-<protocol short id>.accord`].
        overwrite: Replace an existing bundle file.
        allow_partial: Also bundle a trial run made with `--limit`; the bundle carries the
            limit in its signed run manifest, and hubs accept it only when the protocol
            sets `allow_trial_submissions: true`.
        key_partner: The partner the key belongs to, when known; a key of another partner
            is refused.
        signoffs: Partners' signed sign-offs of this protocol, carried in the bundle so
            anyone with the keyring can check who agreed to it (verified by `verify_bundle`).

    Raises:
        InputError: When the run does not belong to the protocol, is unfinished or a trial
            (without `allow_partial`), the key is another partner's, or the output exists.
        OperationError: When a log changed since the run, or a credential would be shipped
            (the message names where); nothing is written then.
    """
    manifest = read_manifest(run_dir)
    protocol = protocol_file.protocol
    expected = protocol_id(protocol)
    if manifest.protocol_id != expected:
        raise InputError(
            f"{run_dir} is a run of protocol {short_id(manifest.protocol_id)}, not of "
            f"{protocol_file.path} ({short_id(expected)}); give the protocol it ran"
        )
    if manifest.status != "complete":
        raise InputError(
            f"the run in {run_dir} is {manifest.status}; finish it (re-run `accord run`) first"
        )
    if manifest.partial and not allow_partial:
        raise InputError(
            f"the run in {run_dir} ran with {manifest.options.trial}: a trial on some "
            "samples of each task, not the protocol's share. Re-run it without that option, "
            "or pass --allow-partial to build a trial bundle (marked as such; a hub accepts it "
            "only if the protocol sets allow_trial_submissions: true)"
        )
    if key_partner is not None and key_partner != manifest.partner:
        raise InputError(
            f"the key is {key_partner}'s, but the run in {run_dir} is {manifest.partner}'s; "
            f"sign with {manifest.partner}'s key (e.g. --key keys/{manifest.partner}.key)"
        )
    _check_signoffs(signoffs, expected)
    target = out or default_bundle_path(manifest)
    if target.exists() and not overwrite:
        raise InputError(f"{target} exists; choose another -o or pass --force")
    with tempfile.TemporaryDirectory(prefix="accord-build-") as temp:
        staging = Path(temp)
        (staging / "logs").mkdir()
        members = [_pack_log(run_dir, record, protocol_file, staging) for record in manifest.logs]
        document = BundleDocument(
            protocol_id=manifest.protocol_id,
            partner=manifest.partner,
            created=datetime.now(UTC),
            key_id=key_id_of(private_key.public_key()),
            disclosure={r.task_id: protocol.disclosure.level(r.task_id) for r in manifest.logs},
            run_manifest=manifest,
            members=members,
            signoffs=sorted(signoffs, key=lambda a: (a.partner, a.signed_at)),
        )
        document_bytes = canonical_json(document.signed_json())
        _refuse_secrets(DOCUMENT_NAME, find_secrets(document.model_dump(mode="json")))
        signature = BundleSignature(
            key_id=document.key_id, signature=sign(private_key, document_bytes)
        )
        (staging / DOCUMENT_NAME).write_bytes(document_bytes)
        (staging / SIGNATURE_NAME).write_bytes(canonical_json(signature.model_dump(mode="json")))
        partial = staging / "bundle.partial"
        write_archive(
            partial,
            [(DOCUMENT_NAME, staging / DOCUMENT_NAME), (SIGNATURE_NAME, staging / SIGNATURE_NAME)]
            + [(m.name, staging / m.name) for m in members],
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(partial, target)
    return BuiltBundle(target, file_digest(target), document)


def _check_signoffs(signoffs: Sequence[PartnerAct], pid: str) -> None:
    seen: set[str] = set()
    for act in signoffs:
        if act.act != "sign-off" or act.protocol_id != pid:
            raise InputError(
                f"the {act.act} of '{act.partner}' is over protocol {short_id(act.protocol_id)}; "
                f"a bundle carries sign-offs of its own protocol ({short_id(pid)}) only"
            )
        if act.partner in seen:
            raise InputError(f"two sign-offs of '{act.partner}'; give one signature per partner")
        seen.add(act.partner)


def _pack_log(
    run_dir: Path, record: LogRecord, protocol_file: ProtocolFile, staging: Path
) -> BundleMember:
    source = run_dir / record.file
    if not source.is_file() or file_digest(source) != record.sha256:
        raise OperationError(
            f"log {source} is missing or changed since the run (its SHA-256 differs from "
            "manifest.json); re-run the share rather than editing logs"
        )
    task = protocol_file.protocol.task(record.task_id)
    level = protocol_file.protocol.disclosure.level(task.id)
    name = f"logs/{record.file}"
    target = staging / name
    findings = redact_eval_file(source, target, level, task.shared_metadata_keys(), task.canaries)
    _refuse_secrets(name, [f for f in findings if not f.canary])
    return BundleMember(
        name=name,
        sha256=file_digest(target),
        size=target.stat().st_size,
        task_id=record.task_id,
        model_id=record.model_id,
        disclosure=level,
        canaries=[f"{name}: {f.path}" for f in findings if f.canary],
    )


def _refuse_secrets(member: str, findings: list[SecretFinding]) -> None:
    if findings:
        places = "".join(f"\n  {member}: {f.path} ({f.kind})" for f in findings[:20])
        more = f"\n  ... and {len(findings) - 20} more" if len(findings) > 20 else ""
        raise OperationError(
            f"refusing to build: a credential would leave the institute at:{places}{more}\n"
            "Remove it from the task, its data or the model args (credentials belong in the "
            "environment), re-run the share, then build again. A fake credential the task "
            "plants on purpose can be declared in the protocol as one of the task's `canaries`."
        )
