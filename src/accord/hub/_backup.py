"""Backing up and restoring a hub: its database and its data directory in one archive.

The archive (a tar file) holds `backup.json` (what, when, how, and the SHA-256 of every
other member), the database, and the data directory: bundles (blobs), the hub's ledger
key, its ledger checkpoint and its challenge secret. The database is saved by

- `sqlite`: SQLite's online backup API (a consistent copy while the hub serves);
- `pg_dump`: `pg_dump --format=custom` (one consistent snapshot), restored by `pg_restore`;
- `logical`: every table as JSON lines, read in one repeatable-read transaction; used for
  PostgreSQL when `pg_dump` is absent, and to move a hub between SQLite and PostgreSQL.

Order matters for consistency while the hub runs: the checkpoint is copied before the
database snapshot (so it never names a ledger head the snapshot lacks), and bundles after
it (a bundle is stored before its submission commits, so every bundle the snapshot refers
to is there).
"""

import hashlib
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import DateTime, Engine, TypeDecorator, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from .._util import InputError, OperationError
from ..store import (
    Base,
    LedgerCheck,
    RunScoreColumns,
    make_engine,
    migrate,
    session_factory,
    transaction,
)
from ..store import verify_ledger as verify_chain
from ._checkpoint import CHECKPOINT_FILE, KEY_FILE

Method = Literal["sqlite", "pg_dump", "logical"]
MANIFEST = "backup.json"
FORMAT = 1
_SECRETS = (KEY_FILE, "hub-secret")
_BATCH = 5000


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (its `backup.json`)."""

    path: Path
    method: Method
    created: str
    members: int
    blobs: int


def backup_hub(db: str, data_dir: Path, out: Path, method: Method | None = None) -> BackupInfo:
    """Write a backup of the hub on `db` with data in `data_dir` to `out` (atomically).

    `method` defaults to `sqlite` for a SQLite database and, for PostgreSQL, `pg_dump` when
    it is installed, else `logical`.

    Raises:
        InputError: For a method that does not fit the database, or a missing data directory.
        OperationError: When the database cannot be read or pg_dump fails.
    """
    if not data_dir.is_dir():
        raise InputError(f"data directory {data_dir} does not exist; pass the hub's --data")
    sqlite = "://" not in db
    chosen: Method = method or (
        "sqlite" if sqlite else "pg_dump" if shutil.which("pg_dump") else "logical"
    )
    if chosen == "sqlite" and not sqlite:
        raise InputError("--method sqlite needs a SQLite database; use pg_dump or logical")
    if chosen == "pg_dump" and sqlite:
        raise InputError("--method pg_dump needs a PostgreSQL database; use sqlite or logical")
    if sqlite and not Path(db).is_file():
        raise InputError(f"no SQLite database at {db}")
    try:
        return _backup(db, data_dir, out, chosen)
    except OSError as ex:  # a full disk, an unwritable target: nothing is left half-written
        raise OperationError(f"cannot write the backup {out}: {ex}") from None


def _backup(db: str, data_dir: Path, out: Path, chosen: Method) -> BackupInfo:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".accord-backup-", dir=out.parent) as temp:
        stage = Path(temp)
        data = stage / "data"
        _copy_files(data_dir, data, [CHECKPOINT_FILE, *_SECRETS])  # before the snapshot
        if chosen == "sqlite":
            _sqlite_backup(Path(db), stage / "database.sqlite")
        elif chosen == "pg_dump":
            _run(["pg_dump", "--format=custom", "--no-owner", "-f", str(stage / "db.pgdump")], db)
        else:
            _logical_export(make_engine(db), stage / "tables")
        blobs = _copy_tree(data_dir / "blobs", data / "blobs")  # after the snapshot
        members = sorted(p for p in stage.rglob("*") if p.is_file())
        manifest = {
            "format": FORMAT,
            "accord": __version__,
            "created": datetime.now(UTC).isoformat(),
            "method": chosen,
            "files": {str(p.relative_to(stage)): _sha256(p) for p in members},
        }
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = stage / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            archive.add(stage / MANIFEST, MANIFEST)
            for path in members:
                archive.add(path, str(path.relative_to(stage)))
        partial.replace(out)
    return BackupInfo(out, chosen, str(manifest["created"]), len(members), blobs)


def restore_hub(backup: Path, db: str, data_dir: Path, *, force: bool = False) -> LedgerCheck:
    """Restore a backup into an empty database `db` and data directory; verify the ledger.

    Returns the ledger check of the restored hub (against its restored checkpoint).

    Raises:
        InputError: For an unreadable or altered backup, or a target that is not empty
            (a SQLite file or data directory may be replaced with `force`).
        OperationError: When pg_restore fails or the database cannot be reached.
    """
    sqlite = "://" not in db
    with tempfile.TemporaryDirectory(prefix="accord-restore-") as temp:
        stage = Path(temp)
        method = _unpack(backup, stage)  # the backup is checked before the target is touched
        if data_dir.exists() and any(data_dir.iterdir()) and not force:
            raise InputError(f"data directory {data_dir} is not empty; pass --force to replace it")
        if sqlite and Path(db).exists():
            if not force:
                raise InputError(f"{db} exists; pass --force to replace it")
            for suffix in ("", "-wal", "-shm"):
                Path(db + suffix).unlink(missing_ok=True)
        if not sqlite:
            _require_empty(make_engine(db), db)
        if method == "sqlite":
            if not sqlite:
                raise InputError(
                    "this backup is a SQLite file; restore it to a SQLite path, or back up "
                    "with --method logical to move to PostgreSQL"
                )
            Path(db).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stage / "database.sqlite", db)
        elif method == "pg_dump":
            if sqlite:
                raise InputError(
                    "this backup is a pg_dump archive; restore it to PostgreSQL, or back up "
                    "with --method logical to move to SQLite"
                )
            _run(["pg_restore", "--no-owner", "--exit-on-error", str(stage / "db.pgdump")], db)
        else:
            engine = make_engine(db)
            migrate(engine)
            _logical_import(engine, stage / "tables")
        if force and data_dir.exists():
            shutil.rmtree(data_dir)
        shutil.copytree(stage / "data", data_dir, dirs_exist_ok=True)
    engine = make_engine(db)
    migrate(engine)  # a backup from an older version gets the current schema
    checkpoint = data_dir / CHECKPOINT_FILE
    expected = [json.loads(checkpoint.read_text())["hash"]] if checkpoint.is_file() else []
    with transaction(session_factory(engine, write=False)) as session:
        return verify_chain(session, expected)


# database --------------------------------------------------------------------------------


def _sqlite_backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    except sqlite3.Error as ex:
        raise OperationError(f"cannot back up {source}: {ex}") from None
    finally:
        dst.close()
        src.close()


def _run(command: list[str], db: str) -> None:
    url = "postgresql://" + db.split("://", 1)[1]  # libpq's form, whatever driver was named
    flag = ["-d", url] if command[0] == "pg_restore" else [url]
    try:
        done = subprocess.run([*command, *flag], capture_output=True, text=True, check=False)
    except OSError as ex:
        raise OperationError(f"cannot run {command[0]}: {ex}") from None
    if done.returncode != 0:
        raise OperationError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")


DERIVED = {RunScoreColumns.__tablename__}
"""Tables a logical backup leaves out: the hub rebuilds them from the rows on first read."""


def _tables() -> list[Any]:
    return list(Base.metadata.sorted_tables)


def _logical_export(engine: Engine, directory: Path) -> None:
    directory.mkdir()
    known = {t.name for t in _tables()} | {"alembic_version"}
    unknown = sorted(set(inspect(engine).get_table_names()) - known)
    if unknown:
        raise OperationError(
            f"the database has tables this version of Accord does not know ({', '.join(unknown)}); "
            "back it up with a matching version, or with pg_dump"
        )
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        for table in _tables():
            if table.name in DERIVED:
                continue
            with (directory / f"{table.name}.jsonl").open("w", encoding="utf-8") as sink:
                result = connection.execution_options(yield_per=_BATCH).execute(select(table))
                for row in result.mappings():
                    sink.write(json.dumps(dict(row), default=_encode) + "\n")


def _logical_import(engine: Engine, directory: Path) -> None:
    with engine.begin() as connection:
        for table in _tables():
            path = directory / f"{table.name}.jsonl"
            if not path.is_file():
                continue
            times = [c.name for c in table.columns if _is_time(c)]
            batch: list[dict[str, Any]] = []
            for row in _rows(path, times):
                batch.append(row)
                if len(batch) >= _BATCH:
                    connection.execute(insert(table), batch)
                    batch = []
            if batch:
                connection.execute(insert(table), batch)
        if engine.dialect.name == "postgresql":
            for table in _tables():
                for column in table.primary_key.columns:
                    if _python_type(column) is int:  # serial columns resume after the rows
                        connection.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                f"'{column.name}'), COALESCE(MAX({column.name}), 1)) "
                                f"FROM {table.name}"
                            )
                        )


def _is_time(column: Any) -> bool:
    kind = column.type
    return isinstance(kind, DateTime) or (
        isinstance(kind, TypeDecorator) and isinstance(kind.impl_instance, DateTime)
    )


def _python_type(column: Any) -> type | None:
    try:
        kind: type = column.type.python_type
    except NotImplementedError:
        return None
    return kind


def _rows(path: Path, times: list[str]) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            row: dict[str, Any] = json.loads(line)
            for name in times:
                if row.get(name) is not None:
                    parsed = datetime.fromisoformat(row[name])
                    row[name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            yield row


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    raise TypeError(f"cannot export a {type(value).__name__}")


def _require_empty(engine: Engine, db: str) -> None:
    try:
        tables = inspect(engine).get_table_names()
    except SQLAlchemyError as ex:
        raise OperationError(f"cannot reach the database {db}: {ex}") from None
    if tables:
        raise InputError(
            f"the database {db} already has tables ({', '.join(sorted(tables)[:5])}); restore "
            "into a new, empty database (createdb)"
        )


# files -----------------------------------------------------------------------------------


def _copy_files(source: Path, target: Path, names: list[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (source / name).is_file():
            shutil.copy2(source / name, target / name)


def _copy_tree(source: Path, target: Path) -> int:
    count = 0
    for path in sorted(source.rglob("*")) if source.is_dir() else []:
        if path.is_file() and not path.name.startswith(".incoming-"):
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            count += 1
    return count


def _unpack(backup: Path, stage: Path) -> Method:
    try:
        with tarfile.open(backup, "r") as archive:
            archive.extractall(stage, filter="data")
        manifest = json.loads((stage / MANIFEST).read_text())
        files: dict[str, str] = manifest["files"]
        method: Method = manifest["method"]
    except (OSError, tarfile.TarError, ValueError, KeyError, TypeError) as ex:
        raise InputError(f"{backup} is not an Accord hub backup: {ex}") from None
    if manifest.get("format") != FORMAT or method not in ("sqlite", "pg_dump", "logical"):
        raise InputError(f"{backup}: unsupported backup format or method")
    present = {str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(files):
        raise InputError(f"{backup}: its files do not match its manifest (altered or truncated)")
    for name, digest in files.items():
        if _sha256(stage / name) != digest:
            raise InputError(f"{backup}: {name} does not match its SHA-256 (altered)")
    return method


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()
