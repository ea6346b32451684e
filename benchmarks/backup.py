"""Hub backup and restore of an exercise with many score rows, against a plain file copy.

A real exercise (two partners' signed bundles of the example task) is submitted, its runs
are filled with synthetic score rows (as in hub_queries.py), and the hub is backed up with
each method that fits the backend and restored into an empty database. The baseline, run
side by side, is copying the same database and data directory with `shutil` (SQLite) or
`pg_dump` alone (PostgreSQL): what a backup costs beyond moving the bytes.

Usage: python benchmarks/backup.py [--rows 200000] [--postgres URL-of-an-admin-database]
"""

import argparse
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from accord.hub import backup_hub, open_hub, restore_hub
from accord.identity import load_private_key, prove_possession
from hub_queries import bundles, fill  # type: ignore[import-not-found]


def populated(
    db: str,
    data: Path,
    protocol_yaml: str,
    files: dict[str, Path],
    keys: dict[str, object],
    rows: int,
) -> str:
    hub = open_hub(db, data)
    _, admin = hub.bootstrap("hub", "Hub", "admin@hub.example")
    actor = hub.actor(f"Bearer {admin.token}")
    for partner in files:
        hub.create_institute(actor, partner, partner)
        record = keys[partner].record  # type: ignore[attr-defined]
        challenge = hub.key_challenge(actor, partner)["challenge"]
        private = load_private_key(keys[partner].private_key)  # type: ignore[attr-defined]
        proof = prove_possession(private, partner, challenge)
        hub.register_key(actor, partner, record, None, None, (challenge, proof))
    exercise = hub.create_exercise(actor, protocol_yaml).id
    hub.transition(actor, exercise, "open")
    for partner, path in files.items():
        member = hub.create_member(actor, partner, f"e@{partner}.example", "e", "evaluator")
        issued = hub.create_token(actor, member.id, ["read", "write"], None)
        hub.submit(hub.actor(f"Bearer {issued.token}"), exercise, path)
    fill(db, exercise, rows)
    hub.engine.dispose()
    return exercise


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def fresh_pg(admin_url: str) -> str:
    name = f"accord_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_pg(admin_url: str, url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        protocol_yaml, files, keys = bundles(work)
        backends = [("sqlite", str(work / "hub.db"))]
        if args.postgres:
            backends.append(("postgresql", fresh_pg(args.postgres)))
        print(
            f"{'backend':>10} {'method':>8} {'backup s':>9} {'restore s':>10} {'MB':>7} {'baseline s':>11} {'ratio':>6}"
        )
        for label, db in backends:
            data = work / f"data-{label}"
            populated(db, data, protocol_yaml, files, keys, args.rows)
            if label == "sqlite":
                baseline = timed(
                    lambda db=db, data=data: (
                        shutil.copyfile(db, work / "copy.db"),
                        shutil.copytree(data, work / "copy", dirs_exist_ok=True),
                    )
                )
                methods = ["sqlite", "logical"]
            else:
                url = "postgresql://" + db.split("://", 1)[1]
                baseline = timed(
                    lambda url=url: subprocess.run(
                        ["pg_dump", "-Fc", "-f", str(work / "b.dump"), url], check=True
                    )
                )
                methods = ["pg_dump", "logical"]
            for method in methods:
                out = work / f"{label}-{method}.tar"
                backup = timed(
                    lambda out=out, method=method, db=db, data=data: backup_hub(
                        db, data, out, method
                    )
                )  # type: ignore[arg-type]
                target = (
                    str(work / f"r-{method}.db") if label == "sqlite" else fresh_pg(args.postgres)
                )
                restore = timed(
                    lambda out=out, target=target, method=method, label=label: restore_hub(
                        out, target, work / f"r-{label}-{method}"
                    )
                )
                if label != "sqlite":
                    drop_pg(args.postgres, target)
                size = out.stat().st_size / 1e6
                print(
                    f"{label:>10} {method:>8} {backup:>9.2f} {restore:>10.2f} {size:>7.1f} {baseline:>11.2f} {backup / baseline:>6.1f}"
                )
            if label != "sqlite":
                drop_pg(args.postgres, db)


if __name__ == "__main__":
    main()
