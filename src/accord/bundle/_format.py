"""The bundle format: what `bundle.json` and `signature` hold (see docs/bundle-format.md)."""

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..identity import PartnerAct
from ..protocol import DisclosureLevel
from ..run import RunManifest

BUNDLE_FORMAT: Literal[1] = 1
BUNDLE_SUFFIX = ".accord"
DOCUMENT_NAME = "bundle.json"
SIGNATURE_NAME = "signature"
LOG_NAME = re.compile(r"^logs/[A-Za-z0-9][A-Za-z0-9._+\-]{0,200}\.eval$")


class BundleMember(BaseModel):
    """A log in the bundle, with its digest and size as packed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Path inside the archive: logs/<file>.eval.")
    sha256: str = Field(description="sha256:<hex> of the member's bytes.")
    size: int = Field(ge=0, description="The member's size in bytes.")
    task_id: str
    model_id: str
    disclosure: DisclosureLevel = Field(description="The level this log was redacted to.")
    canaries: list[str] = Field(
        default_factory=list,
        description="Places where the task's declared canaries (planted fake credentials) "
        "were found and let through, as `member: json.path`.",
    )


class BundleDocument(BaseModel):
    """`bundle.json`: what the bundle holds; its canonical bytes are what is signed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1] = BUNDLE_FORMAT
    protocol_id: str
    partner: str
    created: datetime = Field(description="When the bundle was signed (UTC).")
    key_id: str = Field(description="Id of the Ed25519 key that signed it.")
    disclosure: dict[str, DisclosureLevel] = Field(description="Level applied, per task id.")
    run_manifest: RunManifest = Field(description="The run's manifest, as `accord run` wrote it.")
    members: list[BundleMember]
    signoffs: list[PartnerAct] = Field(
        default_factory=list,
        description="Partners' signed sign-offs of the protocol (`accord protocol sign`), each "
        "verifiable on its own with the keyring; absent from bundle.json when empty.",
    )

    def signed_json(self) -> dict[str, object]:
        """The JSON that is signed: without `signoffs` when there are none (older layout)."""
        data = self.model_dump(mode="json")
        if not self.signoffs:
            del data["signoffs"]
        return data


class BundleSignature(BaseModel):
    """`signature`: an Ed25519 signature over the canonical bytes of `bundle.json`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    algorithm: Literal["ed25519"] = "ed25519"
    key_id: str
    signature: str = Field(description="Base64 of the 64-byte signature.")
