"""The test package format: `package.json`, `signatures.json` and `files/...` in a zip."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .._util import canonical_json, sha256_hex
from ..run import TaskCode

PACKAGE_FORMAT: Literal[1] = 1
PACKAGE_SUFFIX = ".accordpkg"
MANIFEST_NAME = "package.json"
SIGNATURES_NAME = "signatures.json"
FILES_PREFIX = "files/"
SEALED_PREFIX = "sealed/"
SEALED_SUFFIX = ".age"
_PURPOSE = "accord-package"


class PackageFile(BaseModel):
    """One file of the package, under `files/`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    size: int = Field(ge=0)


class SealedFile(BaseModel):
    """A data file carried encrypted (age, to the partners' Ed25519 keys) under `sealed/`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str = Field(pattern=r"^sha256:[0-9a-f]{64}$", description="Of the plaintext.")
    size: int = Field(ge=0, description="Of the plaintext.")
    ciphertext: PackageFile = Field(description="Digest and size of the encrypted member.")
    recipients: list[str] = Field(description="Key ids it is encrypted to.")
    tasks: list[str] = Field(description="The tasks that read it.")


class PackageManifest(BaseModel):
    """`package.json`: what the package holds. Its SHA-256 is the package digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1] = PACKAGE_FORMAT
    protocol: str = Field(description="Path of the protocol file among `files`.")
    protocol_id: str
    protocol_name: str
    files: dict[str, PackageFile] = Field(description="Relative POSIX path -> digest and size.")
    tasks: dict[str, TaskCode] = Field(description="Task id -> the code it runs.")
    sealed: dict[str, SealedFile] = Field(
        default_factory=dict, description="Relative POSIX path -> a sealed data file."
    )


class PackageSignature(BaseModel):
    """One partner's signature over the package digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partner: str
    key_id: str
    signed_at: AwareDatetime
    signature: str = Field(description="Base64 Ed25519 signature of `signing_message`.")


class PackageSignatures(BaseModel):
    """`signatures.json`: the authors' and co-signers' signatures (not part of the digest)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = PACKAGE_FORMAT
    signatures: list[PackageSignature] = Field(default_factory=list, max_length=100)


def manifest_bytes(manifest: PackageManifest) -> bytes:
    """The canonical bytes of `package.json`."""
    return canonical_json(manifest.model_dump(mode="json"))


def package_digest(raw_manifest: bytes) -> str:
    """`sha256:<hex>` of the bytes of `package.json`: the package's identity."""
    return "sha256:" + sha256_hex(raw_manifest)


def signing_message(digest: str, partner: str, signed_at: datetime) -> bytes:
    """What a package signature signs: purpose, package digest, partner and time."""
    return canonical_json(
        {
            "purpose": _PURPOSE,
            "digest": digest,
            "partner": partner,
            "signed_at": signed_at.isoformat(),
        }
    )
