"""`accord demo`: a whole joint exercise on one machine, offline, with stand-in models."""

import contextlib
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from ._console import err, out, print_json


@contextlib.contextmanager
def _tables_to_stderr(enabled: bool) -> Iterator[None]:
    """Under --json, what would go to stdout goes to stderr, so stdout holds only the JSON."""
    if not enabled:
        yield
        return
    saved = out.file
    out.file = sys.stderr
    try:
        yield
    finally:
        out.file = saved


def demo(
    directory: Path = typer.Option(Path("accord-demo"), "--dir", help="Where to put the demo."),
    serve: bool = typer.Option(
        False, "--serve", help="Keep the embedded hub and its web interface up until Ctrl-C."
    ),
    json_output: bool = typer.Option(
        False, "--json", help="Print a JSON summary on stdout (the tables go to stderr)."
    ),
) -> None:
    """Run a small joint exercise offline: built-in suites, stand-in models, analysis, bundles.

    Writes a protocol on Accord's built-in suites into the directory, runs both partners' shares
    (resuming if run before), checks that the shared run is comparable, analyses the runs
    (comparison, reproducibility, findings), creates each partner's signing key, and builds
    and verifies both partners' bundles.

    Example: `accord demo --dir /tmp/accord-demo` (add `--serve` to browse the hub)
    """
    with _tables_to_stderr(json_output):
        summary = _demo(directory, serve)
    if json_output:
        print_json(summary)


def _demo(directory: Path, serve: bool) -> dict[str, Any]:
    from ..analysis import analyze, load_runs
    from ..bundle import build_bundle, verify_bundle
    from ..identity import (
        Keyring,
        load_private_key,
        load_public_record,
        write_key_pair,
        write_keyring,
    )
    from ..protocol import load_protocol, protocol_id, write_demo_protocol
    from ..run import compare_runs, plan_share, run_share
    from .analyze import print_tables
    from .run import print_comparison, print_results

    path = write_demo_protocol(directory)
    loaded = load_protocol(path)
    protocol = loaded.protocol
    pid = protocol_id(protocol)
    out.print(
        f"[bold]Accord demo[/]: protocol {protocol.name} {pid}", highlight=False, soft_wrap=True
    )
    run_dirs = {}
    for partner in protocol.partners:
        plan = plan_share(loaded, partner.id, directory / "runs" / partner.id)
        with err.status(f"{partner.name} runs its share ({len(plan.runs)} run(s))..."):
            result = run_share(plan, display="none")
        print_results(result.manifest, title=f"{partner.name} ({partner.id})")
        run_dirs[partner.id] = plan.out_dir
    first, second = (run_dirs[p.id] for p in protocol.partners[:2])
    comparison = compare_runs(first, second)
    print_comparison(comparison, str(first), str(second))
    scores, manifests = load_runs(list(run_dirs.values()), protocol)
    print_tables(
        analyze(scores, protocol, manifests),
        ("comparisons", "replications", "findings", "safeguards"),
    )

    keys_dir, keyring = directory / "keys", Keyring()
    bundles = {}
    out.print("\n[bold]Signed bundles[/] (verified with the partners' keyring):")
    for partner in protocol.partners:
        key_file, public_file = keys_dir / f"{partner.id}.key", keys_dir / f"{partner.id}.pub.json"
        if not key_file.exists():
            write_key_pair(partner.id, keys_dir, datetime.now(UTC))
        record = load_public_record(public_file)
        keyring.add(record, record.created, None)
        write_keyring(directory / "keyring.json", keyring)
        bundle_path = directory / "bundles" / f"{partner.id}.accord"
        built = build_bundle(
            run_dirs[partner.id], loaded, load_private_key(key_file), bundle_path, overwrite=True
        )
        verified = verify_bundle(built.path, keyring, expected_protocol_id=pid)
        out.print(
            f"  {partner.id}: {built.path}\n    {verified.sha256} [green]verified[/]",
            highlight=False,
            soft_wrap=True,
        )
        bundles[partner.id] = {"path": str(built.path), "sha256": verified.sha256}
    hub = _hub_round(
        directory, loaded.path.read_text(encoding="utf-8"), protocol.name, keys_dir, serve
    )
    out.print(
        f"\nnext: look at the logs with `inspect view --log-dir {directory / 'runs'}`",
        highlight=False,
        soft_wrap=True,
    )
    return {
        "protocol_id": pid,
        "runs": {p: str(d) for p, d in run_dirs.items()},
        "comparable": comparison.comparable,
        "bundles": bundles,
        "hub": hub,
    }


def _hub_round(
    directory: Path, protocol_yaml: str, exercise: str, keys_dir: Path, serve: bool
) -> dict[str, Any]:
    """An embedded hub: institutes, members, keys, the exercise, both submissions, results."""
    import yaml

    from ..hub import HubClient, create_app, open_hub, serve_in_background
    from ..identity import load_private_key, load_public_record

    hub_dir = directory / "hub"
    shutil.rmtree(hub_dir, ignore_errors=True)
    hub = open_hub(str(hub_dir / "hub.db"), hub_dir)
    _, admin = hub.bootstrap("hub", "Hub operators", "admin@hub.local")
    with serve_in_background(create_app(hub)) as url:
        api = HubClient(url, admin.token)
        tokens = {}
        for partner in yaml.safe_load(protocol_yaml)["partners"]:
            pid = partner["id"]
            api.call("POST", "/institutes", json={"id": pid, "name": partner["name"]})
            member = api.call(
                "POST",
                f"/institutes/{pid}/members",
                json={
                    "email": f"evaluator@{pid}.example",
                    "name": f"{pid} evaluator",
                    "role": "evaluator",
                },
            )
            tokens[pid] = api.call(
                "POST", f"/members/{member['id']}/tokens", json={"scopes": ["read", "write"]}
            )["token"]
            record = load_public_record(keys_dir / f"{pid}.pub.json")
            api.register_key(pid, record, load_private_key(keys_dir / f"{pid}.key"))
        api.call("POST", "/exercises", json={"protocol_yaml": protocol_yaml})
        for pid in tokens:  # each partner signs the protocol id; the exercise opens after all
            key = load_private_key(keys_dir / f"{pid}.key")
            api.record_act(exercise, api.sign_act(exercise, key, pid))
        api.call("POST", f"/exercises/{exercise}/open")
        out.print(
            f"\n[bold]Hub[/] at {url} (SQLite under {hub_dir}): every partner signed the "
            f"protocol; exercise {exercise} open",
            highlight=False,
            soft_wrap=True,
        )
        for pid, token in tokens.items():
            partner_api = HubClient(url, token)
            result = partner_api.submit(exercise, directory / "bundles" / f"{pid}.accord")
            out.print(
                f"  {pid} submitted its bundle: accepted, {len(result['deviations'])} deviation(s)"
            )
            partner_api.close()
        results = api.call("GET", f"/exercises/{exercise}/results")
        verdicts = ", ".join(
            f"{r['task']} x {r['model']} ({r['scorer']}): {r['verdict']}"
            for r in results["analysis"]["replications"]
        )
        out.print(
            f"  runs on the hub: {len(results['runs'])}; reproducibility: {verdicts}",
            highlight=False,
            soft_wrap=True,
        )
        safeguards = _safeguard_lines(results["analysis"].get("safeguards", []))
        for line in safeguards:
            out.print(f"  safeguard efficacy on the hub: {line}", highlight=False, soft_wrap=True)
        out.print(f"  ledger head: {results['ledger_head']}", highlight=False, soft_wrap=True)
        from ..report import Report, write_report

        joint = api.call("GET", f"/exercises/{exercise}/report", params={"format": "json"})
        report_path = write_report(Report.model_validate(joint), directory / "report.html")
        out.print(f"\n[bold]Joint report[/]: {report_path}", highlight=False, soft_wrap=True)
        api.close()
        if serve:
            out.print(
                f"[bold]Web interface[/]: {url}/exercises/{exercise}",
                highlight=False,
                soft_wrap=True,
            )
            _serve_until_interrupted(admin.token)
    return {
        "exercise": exercise,
        "runs": len(results["runs"]),
        "replications": [
            {k: r[k] for k in ("task", "model", "scorer", "verdict")}
            for r in results["analysis"]["replications"]
        ],
        "ledger_head": results["ledger_head"],
        "safeguards": safeguards,
    }


def _safeguard_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The safeguard rates of the hub's analysis, per task x system x partner (or pooled)."""

    def rate(estimate: dict[str, Any] | None, label: str) -> str:
        if estimate is None:
            return f"{label}: unknown"
        low, high = estimate["ci_low"], estimate["ci_high"]
        interval = "no interval" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"
        return f"{label} {estimate['mean']:.3f} {interval}"

    return [
        f"{r['task']} x {r['model']} ({r['partner'] or 'pooled'}): "
        f"{rate(r['efficacy'], 'blocks harmful')}, {rate(r['over_blocking'], 'blocks benign')}"
        for r in rows
    ]


def _serve_until_interrupted(token: str) -> None:
    import time

    err.print("sign in with the demo hub's admin token (local demo only):")
    err.print(token, highlight=False, soft_wrap=True)
    err.print("serving; press Ctrl-C to stop")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        err.print("stopped")
