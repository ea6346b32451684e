"""What a report is built from: a protocol, an analysis, and the provenance of each run.

Two sources fill it: run directories on this machine (`from_run_dirs`) and a hub, whose
report route fills it server-side from what the caller may see.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._util import InputError
from ..protocol import Protocol
from ._model import (
    AgreementAct,
    AmendmentNote,
    DeveloperResponse,
    RunProvenance,
    snapshot_lines,
    usage_lines,
)

if TYPE_CHECKING:
    from ..identity import PartnerAct


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report needs, whatever its source."""

    protocol: Protocol
    protocol_yaml: str
    protocol_id: str
    analysis: Mapping[str, Any]  # AnalysisResult as JSON (`model_dump(mode="json")`)
    runs: Sequence[RunProvenance]
    source: Literal["run directories", "hub"]
    exercise: str | None = None
    state: str = "draft"  # exercise state on a hub; "draft" for run directories
    published_at: str | None = None
    ledger_head: str | None = None
    hub_url: str | None = None
    deviations: Sequence[str] = field(default_factory=list)
    agreement: Sequence[AgreementAct] = field(default_factory=list)
    amendments: Sequence[AmendmentNote] = field(default_factory=list)
    developer_responses: Sequence[DeveloperResponse] = field(default_factory=list)


def from_run_dirs(
    protocol_file: Path,
    run_dirs: Sequence[Path],
    bundles: Sequence[Path] = (),
    keyring_file: Path | None = None,
    signatures: Sequence[Path] = (),
) -> ReportInputs:
    """Analyse run directories as the protocol says, with each run's provenance.

    Args:
        protocol_file: The protocol (YAML).
        run_dirs: One run directory per partner.
        bundles: The partners' signed bundles of these runs (optional): verified against
            `keyring_file`, they add the bundle digest and signer key id to the provenance,
            and the partners' sign-offs they carry to the agreement.
        keyring_file: The partners' keyring; required with `bundles` or `signatures`.
        signatures: Partners' signed sign-offs of the protocol (`accord protocol sign`),
            verified against `keyring_file` and cited in the report.

    Raises:
        InputError: When a bundle or signature is given without a keyring, a bundle is not
            of one of the runs, or a signature does not verify for this protocol.
    """
    from ..analysis import analyze, load_runs
    from ..protocol import load_protocol, protocol_id

    loaded = load_protocol(protocol_file)
    protocol = loaded.protocol
    pid = protocol_id(protocol)
    table, manifests = load_runs(list(run_dirs), protocol)
    check_protocol(manifests, pid, protocol_file)
    result = analyze(table, protocol, manifests)
    signed, carried = _bundles(bundles, keyring_file, pid, manifests)
    runs = [
        RunProvenance(
            partner=partner,
            task=log.task_id,
            model=log.model_id,
            samples=log.samples,
            inspect_version=manifest.environment.inspect_ai,
            accord_version=manifest.environment.accord,
            dataset_digest=log.dataset_digest,
            log_sha256=log.sha256,
            bundle_sha256=signed.get(partner, (None, None))[0],
            signer_key_id=signed.get(partner, (None, None))[1],
            started_at=log.started_at,
            completed_at=log.completed_at,
            snapshots=snapshot_lines(log.snapshots),
            usage=usage_lines(log.usage),
        )
        for partner, manifest in manifests.items()
        for log in manifest.logs
    ]
    return ReportInputs(
        protocol=protocol,
        protocol_yaml=loaded.path.read_text(encoding="utf-8"),
        protocol_id=pid,
        analysis=result.model_dump(mode="json"),
        runs=runs,
        source="run directories",
        agreement=_merged(_signatures(signatures, keyring_file, pid), carried),
    )


def _signatures(
    signatures: Sequence[Path], keyring_file: Path | None, pid: str
) -> list[AgreementAct]:
    """The partners' sign-offs from signature files, each verified for protocol `pid`."""
    if not signatures:
        return []
    if keyring_file is None:
        raise InputError("--signature needs --keyring: signatures are cited only once verified")
    from ..identity import read_act, read_keyring, verify_act

    keyring = read_keyring(keyring_file)
    acts = []
    for path in signatures:
        act = read_act(path)
        problem = verify_act(act, keyring, pid)
        if problem:
            raise InputError(f"signature {path} does not verify: {problem}")
        acts.append(_cited(act))
    return sorted(acts, key=lambda a: a.signed_at)


def _cited(act: "PartnerAct") -> AgreementAct:
    """A verified act as the report cites it (no ledger entry: verified offline)."""
    return AgreementAct(
        partner=act.partner,
        act=act.act,
        protocol_id=act.protocol_id,
        signed_at=act.signed_at.isoformat(),
        key_id=act.key_id,
        reason=act.reason,
        hub=act.hub,
    )


def _merged(given: list[AgreementAct], carried: list[AgreementAct]) -> list[AgreementAct]:
    """Sign-offs from files and those carried in bundles, each cited once, in time order."""
    unique = {(a.partner, a.act, a.signed_at, a.key_id): a for a in [*given, *carried]}
    return sorted(unique.values(), key=lambda a: a.signed_at)


def check_protocol(manifests: Mapping[str, Any], pid: str, protocol_file: Path) -> None:
    """Every run follows the protocol given.

    Raises:
        InputError: Naming the first run that does not.
    """
    for partner, manifest in manifests.items():
        if manifest.protocol_id != pid:
            raise InputError(
                f"the run of '{partner}' follows protocol {manifest.protocol_id}, not "
                f"{protocol_file} ({pid}); pass the protocol the runs were made with"
            )


def _bundles(
    bundles: Sequence[Path], keyring_file: Path | None, pid: str, manifests: Mapping[str, Any]
) -> tuple[dict[str, tuple[str, str]], list[AgreementAct]]:
    """Signers of verified bundles of these runs, and the sign-offs the bundles carry.

    The first maps partner -> (bundle sha256, signer key id).
    """
    if not bundles:
        return {}, []
    if keyring_file is None:
        raise InputError("--bundle needs --keyring: bundles are cited only once verified")
    from ..bundle import verify_bundle
    from ..identity import read_keyring

    keyring = read_keyring(keyring_file)
    signed: dict[str, tuple[str, str]] = {}
    carried: list[AgreementAct] = []
    for path in bundles:
        verified = verify_bundle(path, keyring, expected_protocol_id=pid)
        partner = verified.document.partner
        manifest = manifests.get(partner)
        logs = {log.sha256 for log in verified.document.run_manifest.logs}
        if manifest is None or logs != {log.sha256 for log in manifest.logs}:
            raise InputError(
                f"bundle {path} is of partner '{partner}' but not of the run directory "
                "given for it (its logs differ); pass the bundle built from that run"
            )
        signed[partner] = (verified.sha256, verified.document.key_id)
        carried += [_cited(act) for act in verified.document.signoffs]
    return signed, carried
