"""Verifying a bundle offline with a keyring: signature, trust, members, canonical layout."""

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .._util import canonical_json
from ..identity import Keyring, KeyringEntry, signature_valid, verify_act
from ..protocol import short_id
from ..run import file_digest
from ._archive import BundleLimits, OpenedBundle, open_bundle, write_archive
from ._errors import BundleError
from ._format import DOCUMENT_NAME, SIGNATURE_NAME, BundleDocument, BundleSignature


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle that passed every check."""

    path: Path
    sha256: str
    document: BundleDocument
    key: KeyringEntry


def read_document(opened: OpenedBundle) -> tuple[BundleDocument, bytes, BundleSignature]:
    """Parse `bundle.json` and `signature` of an opened bundle (no trust implied).

    Raises:
        BundleError: When either is missing or malformed, or bundle.json is not canonical.
    """
    for name in (DOCUMENT_NAME, SIGNATURE_NAME):
        if name not in opened.names:
            raise BundleError(f"bundle has no '{name}' member")
    raw = opened.member(DOCUMENT_NAME).read_bytes()
    try:
        data = json.loads(raw)
        document = BundleDocument.model_validate(data)
        signature = BundleSignature.model_validate_json(opened.member(SIGNATURE_NAME).read_bytes())
    except RecursionError:
        raise BundleError("bundle.json is nested too deeply to be a bundle document") from None
    except (ValueError, ValidationError) as ex:
        raise BundleError(f"bundle.json or signature is malformed: {_brief(ex)}") from None
    if document.created.tzinfo is None or document.created.utcoffset() is None:
        raise BundleError(
            "bundle.json: 'created' has no time zone; bundles are signed with a UTC time"
        )
    if canonical_json(data) != raw:
        raise BundleError("bundle.json is not in canonical form (it was edited after signing)")
    return document, raw, signature


def _brief(ex: Exception, limit: int = 600) -> str:
    text = str(ex)
    return text if len(text) <= limit else text[:limit] + " ..."


def verify_bundle(
    path: Path,
    keyring: Keyring,
    *,
    expected_protocol_id: str | None = None,
    limits: BundleLimits | None = None,
) -> VerifiedBundle:
    """Verify a bundle: the first failed check is raised with its exact reason.

    Checks, in order: safe shape; bundle.json and signature well-formed and canonical; the
    signing key is in the keyring, belongs to the bundle's partner, signed bundle.json, and
    was valid and not revoked when the bundle was created; every partner sign-off it carries
    is over its protocol and verifies with the keyring; every member is listed, in the
    run manifest, present, of its size and SHA-256, with none extra; the archive is
    byte-for-byte the canonical layout of its members; and, when given, the protocol id.

    Raises:
        BundleError: When any check fails.
    """
    with open_bundle(path, limits) as opened:
        document, raw, signature = read_document(opened)
        entry = _check_signature(document, raw, signature, keyring)
        _check_signoffs(document, keyring)
        _check_members(opened, document)
        _check_layout(opened)
    if expected_protocol_id is not None and document.protocol_id != expected_protocol_id:
        raise BundleError(
            f"bundle is for protocol {short_id(document.protocol_id)}, "
            f"not {short_id(expected_protocol_id)}"
        )
    return VerifiedBundle(path, file_digest(path), document, entry)


def _check_signature(
    document: BundleDocument, raw: bytes, signature: BundleSignature, keyring: Keyring
) -> KeyringEntry:
    if signature.key_id != document.key_id:
        raise BundleError(
            f"signature names key {signature.key_id} but bundle.json names {document.key_id}"
        )
    entry = keyring.entry(document.key_id)
    if entry is None:
        raise BundleError(
            f"bundle is signed by key {document.key_id}, which is not in the keyring; "
            f"add {document.partner}'s public key with `accord keys add`"
        )
    if entry.key.partner != document.partner:
        raise BundleError(
            f"key {document.key_id} belongs to '{entry.key.partner}', "
            f"but the bundle claims partner '{document.partner}'"
        )
    if not signature_valid(entry.key, raw, signature.signature):
        raise BundleError(f"the signature does not verify with key {document.key_id}")
    distrust = entry.trusted_at(document.created)
    if distrust is not None:
        raise BundleError(f"signed at {document.created.isoformat()}, but {distrust}")
    return entry


def _check_signoffs(document: BundleDocument, keyring: Keyring) -> None:
    for act in document.signoffs:
        if act.act != "sign-off":
            raise BundleError(f"the bundle carries a {act.act} of '{act.partner}', not a sign-off")
        problem = verify_act(act, keyring, document.protocol_id)
        if problem:
            raise BundleError(f"the sign-off of '{act.partner}' in the bundle: {problem}")


def _check_members(opened: OpenedBundle, document: BundleDocument) -> None:
    listed = {m.name: m for m in document.members}
    if len(listed) != len(document.members):
        raise BundleError("bundle.json lists a member twice")
    present = set(opened.names) - {DOCUMENT_NAME, SIGNATURE_NAME}
    for name in sorted(set(listed) - present):
        raise BundleError(f"member '{name}' is listed in bundle.json but missing")
    for name in sorted(present - set(listed)):
        raise BundleError(f"member '{name}' is in the archive but not listed in bundle.json")
    for name, member in listed.items():
        if document.run_manifest.log(member.task_id, member.model_id) is None:
            raise BundleError(
                f"member '{name}' ({member.task_id} x {member.model_id}) is not in the run manifest"
            )
        file = opened.member(name)
        if file.stat().st_size != member.size:
            raise BundleError(f"member '{name}' is {file.stat().st_size} bytes, not {member.size}")
        if file_digest(file) != member.sha256:
            raise BundleError(f"member '{name}' does not match its SHA-256 in bundle.json")


def _check_layout(opened: OpenedBundle) -> None:
    order = [DOCUMENT_NAME, SIGNATURE_NAME] + [
        n for n in opened.names if n not in (DOCUMENT_NAME, SIGNATURE_NAME)
    ]
    if opened.names != order:
        raise BundleError("bundle members are not in canonical order")
    with tempfile.TemporaryDirectory(prefix="accord-layout-") as temp:
        canonical = Path(temp) / "canonical.zip"
        write_archive(canonical, [(name, opened.member(name)) for name in order])
        if file_digest(canonical) != file_digest(opened.path):
            raise BundleError(
                "the archive's bytes differ from the canonical layout of its members "
                "(it was altered outside them)"
            )
