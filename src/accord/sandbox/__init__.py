"""Sandboxes: `bwrap`, a Docker-free Inspect sandbox environment built on bubblewrap."""

from ._bwrap import BwrapConfig, BwrapSandboxEnvironment, SandboxUnavailable, check_bwrap

__all__ = ["BwrapConfig", "BwrapSandboxEnvironment", "SandboxUnavailable", "check_bwrap"]
