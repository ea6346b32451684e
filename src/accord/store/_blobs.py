"""Content-addressed storage for bundles: blobs/sha256/<2 hex>/<62 hex>."""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


class BlobStore:
    """Files stored under their SHA-256; writing is atomic and idempotent."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """Where the blob with `sha256:<hex>` lives."""
        hex_digest = digest.removeprefix("sha256:")
        return self.root / "sha256" / hex_digest[:2] / hex_digest[2:]

    def put(self, source: Path) -> str:
        """Store a copy of `source`; returns its `sha256:<hex>`."""
        digest = hashlib.sha256()
        with source.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        key = "sha256:" + digest.hexdigest()
        target = self.path(key)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            os.close(handle)
            shutil.copyfile(source, temp)
            os.replace(temp, target)
        return key

    def exists(self, digest: str) -> bool:
        """Whether the blob is stored."""
        return self.path(digest).is_file()
