"""Submission ingestion: verify against registered keys, check conformance, store scores."""

import json
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import ijson
import inspect_ai.log  # noqa: F401  (registers the zstd codec Inspect's archives use)
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..analysis import AnalysisError, group_label, score_metrics, score_to_float
from ..bundle import (
    DOCUMENT_NAME,
    ZIP_READ_ERRORS,
    BundleDocument,
    BundleError,
    BundleLimits,
    open_bundle,
    read_member,
    verify_bundle,
)
from ..identity import Keyring, KeyringEntry, PublicKeyRecord
from ..protocol import Protocol, partner_share, protocol_id
from ..store import Deviation, Exercise, InstituteKey, Run, SampleScore, Submission
from ._columns import ColumnsBuilder
from ._depth import MAX_DEPTH, too_deep
from ._errors import Rejected
from ._package_check import package_deviations
from ._snapshots import peer_runs, snapshot_deviations

BATCH = 5000
_CONTENT_LEVELS = ("samples", "transcripts")


def keyring_from_store(session: Session) -> Keyring:
    """A keyring of every institute key registered on the hub."""
    ring = Keyring()
    for key in session.scalars(select(InstituteKey)):
        record = PublicKeyRecord(
            partner=key.institute_id,
            key_id=key.key_id,
            public_key=key.public_key,
            created=key.created,
        )
        ring.keys.append(
            KeyringEntry(
                key=record,
                valid_from=key.valid_from,
                valid_until=key.valid_until,
                revoked_at=key.revoked_at,
                revocation_reason=key.revocation_reason,
            )
        )
    return ring


CLOCK_SKEW = timedelta(minutes=5)


def verify_submission(
    session: Session, exercise: Exercise, protocol: Protocol, path: Path, now: datetime
) -> BundleDocument:
    """Verify a bundle and its conformance to the exercise.

    A bundle signed in the future (beyond a few minutes of clock skew) is refused: it would
    supersede every honest resubmission until then.

    Raises:
        Rejected: With the exact reason of the first failed check.
    """
    try:
        verified = verify_bundle(
            path, keyring_from_store(session), expected_protocol_id=exercise.protocol_id
        )
    except BundleError as ex:
        raise Rejected(f"the bundle does not verify: {ex}") from None
    document = verified.document
    if document.created > now + CLOCK_SKEW:
        raise Rejected(
            f"the bundle says it was signed at {document.created.isoformat()}, in the future "
            f"(the hub's time is {now.isoformat()}); check the signing machine's clock"
        )
    if protocol_id(protocol) != document.protocol_id:
        raise Rejected("the bundle's protocol is not the exercise's")
    if document.run_manifest.partial and not protocol.allow_trial_submissions:
        raise Rejected(
            f"the bundle is of a trial run ({document.run_manifest.options.trial}) and "
            "the protocol does not set allow_trial_submissions: true; submit a full run"
        )
    if document.partner not in {p.id for p in protocol.partners}:
        raise Rejected(f"'{document.partner}' is not a partner of this exercise")
    owed = {(i.task, i.model) for i in partner_share(protocol, document.partner)}
    for member in document.members:
        if (member.task_id, member.model_id) not in owed:
            raise Rejected(
                f"'{document.partner}' is not assigned {member.task_id} x {member.model_id}"
            )
        expected = protocol.disclosure.level(member.task_id)
        if member.disclosure != expected:
            raise Rejected(
                f"{member.name} was redacted to '{member.disclosure}', "
                f"the protocol says '{expected}'"
            )
    for member in document.members:
        if document.run_manifest.log(member.task_id, member.model_id) is None:
            raise Rejected(
                f"{member.name} ({member.task_id} x {member.model_id}) is not in the run manifest"
            )
    for record in document.run_manifest.logs:
        task, model = protocol.task(record.task_id), protocol.model(record.model_id)
        run = f"{record.task_id} x {record.model_id}"
        if record.status != "success":
            raise Rejected(f"{run} did not finish (status {record.status})")
        if record.model != model.model:
            raise Rejected(f"{run} ran model {record.model}, the protocol names {model.model}")
        if record.epochs != task.epochs:
            raise Rejected(f"{run} ran {record.epochs} epochs, the protocol says {task.epochs}")
        for key, value in protocol.generate_config(task.id).items():
            if record.generate_config.get(key) != value:
                raise Rejected(
                    f"{run} ran with {key}={record.generate_config.get(key)!r}, "
                    f"the protocol says {value!r}"
                )
    return document


def store_submission(
    session: Session,
    exercise: Exercise,
    protocol: Protocol,
    document: BundleDocument,
    bundle_sha256: str,
    path: Path,
    submitter: str,
    now: datetime,
) -> tuple[Submission, list[Deviation], list[str]]:
    """Insert the submission, its runs, every sample score and any deviations (one transaction).

    Each run supersedes the partner's current run of the same task and model, which is kept
    but marked; returns (submission, deviations, ids of the submissions superseded).

    Raises:
        Rejected: For a bundle signed no later than the current one it would supersede (an
            old bundle replayed), or a log that cannot be read.
    """
    submission = Submission(
        id=uuid.uuid4().hex,
        exercise_id=exercise.id,
        institute_id=document.partner,
        bundle_sha256=bundle_sha256,
        key_id=document.key_id,
        signed_at=document.created,
        submitted_at=now,
        submitter_id=submitter,
        verification={"run_manifest": document.run_manifest.model_dump(mode="json")},
    )
    session.add(submission)
    session.flush()
    deviations: list[Deviation] = []
    superseded: set[str] = set()
    with open_bundle(path) as opened:
        for member in document.members:
            record = document.run_manifest.log(member.task_id, member.model_id)
            if record is None:  # verify_submission refuses this; never store a half
                raise Rejected(f"{member.name} is not in the run manifest")
            run = Run(
                id=uuid.uuid4().hex,
                exercise_id=exercise.id,
                submission_id=submission.id,
                institute_id=document.partner,
                task_id=member.task_id,
                model_id=member.model_id,
                log_sha256=member.sha256,
                dataset_digest=record.dataset_digest,
                task_version=str(record.task_version),
                generate_config=record.generate_config,
                disclosure=member.disclosure,
                samples=record.samples,
            )
            superseded |= _supersede(session, run, document.created, now)
            session.add(run)
            deviations += _digest_deviations(session, exercise, run, now)
            deviations += package_deviations(session, run, record.code, now)
            deviations += snapshot_deviations(session, exercise, run, record, now)
            session.flush()
            cluster_key = protocol.task(member.task_id).cluster
            keep_text = member.disclosure in _CONTENT_LEVELS
            batch: list[dict[str, Any]] = []
            columns = ColumnsBuilder()
            group_keys = protocol.task(member.task_id).groups
            try:
                for row in score_rows(
                    opened.member(member.name), cluster_key, keep_text, group_keys
                ):
                    row["run_id"] = run.id
                    columns.add(row)
                    row.pop("groups", None)  # group labels live in the columns only
                    batch.append(row)
                    if len(batch) >= BATCH:
                        session.execute(insert(SampleScore), batch)
                        batch = []
            except (*ZIP_READ_ERRORS, RecursionError, KeyError, TypeError, AttributeError) as ex:
                raise Rejected(f"{member.name} is not a readable Inspect log: {ex}") from None
            if batch:
                session.execute(insert(SampleScore), batch)
            session.add(columns.record(run.id))
    session.add_all(deviations)
    return submission, deviations, sorted(superseded)


def _supersede(session: Session, run: Run, signed: datetime, now: datetime) -> set[str]:
    current = session.execute(
        select(Run, Submission.signed_at)
        .join(Submission, Run.submission_id == Submission.id)
        .where(
            Run.exercise_id == run.exercise_id,
            Run.institute_id == run.institute_id,
            Run.task_id == run.task_id,
            Run.model_id == run.model_id,
            Run.superseded_by.is_(None),
        )
    ).all()
    replaced: set[str] = set()
    for previous, previous_signed in current:
        if previous_signed >= signed:
            raise Rejected(
                f"{run.task_id} x {run.model_id}: this bundle was signed at {signed.isoformat()}, "
                f"not after the current submission's {previous_signed.isoformat()}; only a newer "
                "bundle supersedes (re-sign the run to replace it)"
            )
        previous.superseded_by, previous.superseded_at = run.id, now
        replaced.add(previous.submission_id)
    return replaced


def score_rows(
    log: Path, cluster_key: str | None, keep_text: bool, group_keys: Sequence[str] = ()
) -> Iterator[dict[str, Any]]:
    """Every (sample, epoch, scorer) score of an `.eval` log, streamed; never a full EvalLog.

    Scores come from the archive's `summaries.json` member, streamed item by item with ijson:
    ids, epochs and score values exactly as logged, errors, the cluster value, the labels of
    `group_keys` (under `groups`, when any are asked for), and (where
    disclosure allows) answers and explanations as Inspect summarises them (whitespace
    normalised, at most 1,024 characters; the full text stays in the stored bundle). A log
    without summaries is read sample member by sample member instead.

    Raises:
        Rejected: For a score that is not numeric, or summaries that do not match the samples.
    """
    with zipfile.ZipFile(log) as archive:
        _check_log_shape(log, archive)
        names = archive.namelist()
        members = [n for n in names if n.startswith("samples/") and n.endswith(".json")]
        if "summaries.json" not in names:
            for name in members:
                _check_depth(log, archive, name)
                with archive.open(name) as stream:
                    sample = dict(ijson.kvitems(stream, "", use_float=True))
                yield from _sample_rows(log, sample, cluster_key, keep_text, group_keys)
            return
        count = 0
        _check_depth(log, archive, "summaries.json")
        with archive.open("summaries.json") as stream:
            for summary in ijson.items(stream, "item", use_float=True):
                count += 1
                yield from _sample_rows(log, summary, cluster_key, keep_text, group_keys)
        if count != len(members):
            raise Rejected(
                f"{log.name}: summaries list {count} samples, the log holds {len(members)}"
            )


MAX_LOG_MEMBER_BYTES = 1 << 30
MAX_LOG_RATIO = 500.0  # deflate tops out near 1,030:1; real logs compress 5-50:1


def _check_log_shape(log: Path, archive: zipfile.ZipFile) -> None:
    # Inflated sizes are bounded by the declared ones (zipfile stops there), so checking the
    # headers bounds the work of reading the log.
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise Rejected(f"{log.name}: member '{info.filename}' is encrypted")
        if info.file_size > MAX_LOG_MEMBER_BYTES or (
            info.file_size > 1 << 20 and info.file_size > MAX_LOG_RATIO * info.compress_size
        ):
            raise Rejected(
                f"{log.name}: member '{info.filename}' inflates to {info.file_size} bytes "
                f"from {info.compress_size} (a zip bomb?)"
            )


def _check_depth(log: Path, archive: zipfile.ZipFile, name: str) -> None:
    with archive.open(name) as stream:
        if too_deep(stream):
            raise Rejected(
                f"{log.name}: '{name}' nests JSON deeper than {MAX_DEPTH} levels; it is not a "
                "readable Inspect log"
            )


def _sample_rows(
    log: Path,
    sample: dict[str, Any],
    cluster_key: str | None,
    keep_text: bool,
    group_keys: Sequence[str] = (),
) -> Iterator[dict[str, Any]]:
    if sample.get("error"):
        return  # an errored sample carries no valid score
    metadata = sample.get("metadata") or {}
    cluster = metadata.get(cluster_key) if cluster_key else None
    groups = {"groups": [(k, group_label(metadata.get(k))) for k in group_keys]}
    for scorer, score in (sample.get("scores") or {}).items():
        for metric, raw in score_metrics(scorer, score.get("value")):
            try:
                value = score_to_float(raw, f"{log.name}: sample {sample['id']}, {metric}")
            except AnalysisError as ex:
                raise Rejected(str(ex)) from None
            yield {
                **(groups if group_keys else {}),
                "sample_id": str(sample["id"]),
                "epoch": int(sample["epoch"]),
                "scorer": metric,
                "value": value,
                "cluster": None if cluster is None else str(cluster),
                "answer": _text(score.get("answer")) if keep_text else None,
                "explanation": _text(score.get("explanation")) if keep_text else None,
            }


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _digest_deviations(
    session: Session, exercise: Exercise, run: Run, now: datetime
) -> list[Deviation]:
    others = session.scalars(select(Run).where(*peer_runs(run))).all()
    return [
        Deviation(
            id=uuid.uuid4().hex,
            exercise_id=exercise.id,
            run_id=run.id,
            kind="dataset_digest",
            detail=(
                f"{run.institute_id}'s {run.task_id} x {run.model_id} dataset digest "
                f"{run.dataset_digest} differs from {other.institute_id}'s "
                f"{other.dataset_digest}: the partners did not run the same samples"
            ),
            found_at=now,
        )
        for other in others
        if other.dataset_digest != run.dataset_digest
    ]


def bundle_partner(path: Path, limits: BundleLimits) -> str | None:
    """The partner a bundle claims to be from (unverified; for authorization before checks).

    None when it cannot be read: verification then rejects the bundle with the reason.
    """
    try:
        data = json.loads(read_member(path, DOCUMENT_NAME, limits))
    except (BundleError, ValueError, RecursionError):
        return None
    partner = data.get("partner") if isinstance(data, dict) else None
    return partner if isinstance(partner, str) else None
