"""Developer review: a developer sees its own models' results after close, before publication,
within the window, and its response is printed verbatim in the report; SQLite and PostgreSQL."""

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.protocol import ProtocolError, parse_protocol
from tests.governance.conftest import BACKENDS
from tests.governance.test_amendments import submit
from tests.governance.test_hub_agreement import ledger_ok
from tests.hub.conftest import Bundles, World, agree, build_world

RESPONSE = (
    "We disagree with the framing of finding F1.\n\n"
    "<script>alert('x')</script> & `code` **bold**\n```\nfenced\n```\n"
)
DEVELOPERS = {"dev-subject": "devco", "dev-ref": "refco"}


def review_yaml(protocol_yaml: str, **review: Any) -> str:
    data = yaml.safe_load(protocol_yaml)
    data.setdefault("governance", {})["developer_review"] = {
        "developers": [
            {"institute": "devco", "models": ["subject"]},
            {"institute": "refco", "models": ["ref"]},
        ],
        "window_days": 7,
        **review,
    }
    return yaml.safe_dump(data, sort_keys=False)


def add_developers(world: World) -> None:
    """Two developer organisations, each with a member of role `developer`."""
    for who, institute in DEVELOPERS.items():
        made = world.call("hub-admin", "POST", "/institutes", json={"id": institute, "name": who})
        assert made.status_code == 201, made.text
        member = world.call(
            "hub-admin",
            "POST",
            f"/institutes/{institute}/members",
            json={"email": f"{who}@dev.example", "name": who, "role": "developer"},
        )
        assert member.status_code == 201, member.text
        world.members[who] = member.json()["id"]
        token = world.call(
            "hub-admin",
            "POST",
            f"/members/{member.json()['id']}/tokens",
            json={"scopes": ["read", "write"]},
        )
        world.tokens[who] = token.json()["token"]


def reviewed_exercise(world: World, bundles: Bundles, **review: Any) -> str:
    """An exercise with both partners' results, amended to add developer review, then closed.

    The bundles are of the protocol without review; adding it by amendment changes no run.
    """
    created = world.call(
        "a-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    )
    exercise = created.json()["id"]
    agree(world, exercise, bundles.private_keys)
    assert world.call("a-admin", "POST", f"/exercises/{exercise}/open").status_code == 200
    assert submit(world, "a-evaluator", exercise, bundles.a).status_code == 201
    assert submit(world, "b-evaluator", exercise, bundles.b).status_code == 201
    body = {"protocol_yaml": review_yaml(bundles.protocol_yaml, **review)}
    amended = world.call("a-admin", "POST", f"/exercises/{exercise}/amendments", json=body)
    assert amended.status_code == 201, amended.text
    assert amended.json()["runs_set_aside"] == 0 and not amended.json()["post_hoc"]
    agree(world, exercise, bundles.private_keys)
    assert world.call("a-admin", "POST", f"/exercises/{exercise}/open").status_code == 200
    return exercise


def models_in(results: dict[str, Any]) -> set[str]:
    """Every model a results payload names anywhere in its numbers."""
    analysis = results["analysis"]
    named = {r["model_id"] for r in results["runs"]}
    named |= {c["model_id"] for c in results["status"]["cells"]}
    for part in ("estimates", "comparisons", "replications", "agreements", "findings"):
        for row in analysis.get(part, []):
            named |= {row[k] for k in ("model", "reference", "compare_to") if row.get(k)}
    return named


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_developers_review_their_own_models_only_after_close_within_the_window(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    add_developers(world)
    exercise = reviewed_exercise(world, bundles)
    path = f"/exercises/{exercise}"

    # while open: the exercise does not exist for developers
    for who in DEVELOPERS:
        assert world.call(who, "GET", path).status_code == 404
        assert world.call(who, "GET", f"{path}/results").status_code == 404
        assert world.call(who, "POST", f"{path}/responses", json={"text": "x"}).status_code == 404
    assert world.call("a-admin", "POST", f"{path}/close").status_code == 200

    full = world.call("a-evaluator", "GET", f"{path}/results").json()
    assert models_in(full) == {"subject", "ref"} and full["analysis"]["comparisons"]
    own = world.call("dev-subject", "GET", f"{path}/results")
    assert own.status_code == 200, own.text
    own_results = own.json()
    assert models_in(own_results) == {"subject"}
    assert own_results["analysis"]["estimates"] and not own_results["analysis"]["comparisons"]
    assert not own_results["analysis"]["findings"]  # the finding compares with 'ref'
    partner_subject = [e for e in full["analysis"]["estimates"] if e["model"] == "subject"]
    assert own_results["analysis"]["estimates"] == partner_subject  # the same numbers
    assert "log_sha256" not in own_results["runs"][0]  # no insider digests
    status = world.call("dev-subject", "GET", f"{path}/status").json()
    assert {c["model_id"] for c in status["cells"]} == {"subject"}
    assert "bundle_sha256" not in status["cells"][0]
    other = world.call("dev-ref", "GET", f"{path}/results").json()
    assert models_in(other) == {"ref"}

    # the web page shows the same cut: only the developer's model in progress and results
    from tests.ui.conftest import sign_in

    page = sign_in(world, "dev-subject").get(f"/exercises/{exercise}")
    assert page.status_code == 200
    progress = page.text.split('id="progress-matrix"')[1].split("</table>")[0]
    assert '<td class="id">subject</td>' in progress and '<td class="id">ref</td>' not in progress
    results_html = page.text.split('id="results"')[1].split("</section>")[0]
    assert re.search(r">\s*subject\s*<", results_html)  # a cell naming the model
    assert not re.search(r">\s*ref\s*<", results_html)
    partner_page = sign_in(world, "a-observer").get(f"/exercises/{exercise}").text
    assert re.search(r">\s*ref\s*<", partner_page.split('id="results"')[1])  # the check bites
    assert 'id="submissions"' not in page.text and 'id="act-form"' not in page.text

    # no per-sample data, submissions or exports unless the protocol says so
    for route in ("scores", "submissions", "export"):
        assert world.call("dev-subject", "GET", f"{path}/{route}").status_code == 403, route
    # the report for a developer is cut the same way
    report = world.call("dev-subject", "GET", f"{path}/report", params={"format": "json"})
    assert report.status_code == 200
    sections = report.json()["tasks"]
    assert {e["model"] for s in sections for e in s["estimates"]} == {"subject"}
    assert not any(s["comparisons"] for s in sections)
    ref_report = world.call("dev-ref", "GET", f"{path}/report", params={"format": "json"})
    assert {e["model"] for s in ref_report.json()["tasks"] for e in s["estimates"]} == {"ref"}

    # a developer responds; partners read it, the other developer does not
    responded = world.call("dev-subject", "POST", f"{path}/responses", json={"text": RESPONSE})
    assert responded.status_code == 201, responded.text
    assert responded.json()["models"] == ["subject"]
    partner_post = world.call("a-evaluator", "POST", f"{path}/responses", json={"text": "x"})
    assert partner_post.status_code == 403
    blank = world.call("dev-subject", "POST", f"{path}/responses", json={"text": " "})
    assert blank.status_code == 400
    assert world.call("dev-ref", "GET", f"{path}/responses").json() == []
    assert [r["text"] for r in world.call("a-observer", "GET", f"{path}/responses").json()] == [
        RESPONSE
    ]
    # developers are not partners: they record no partner acts
    agreement = world.call("dev-subject", "GET", f"{path}/agreement")
    assert agreement.status_code == 200
    md = world.call("a-admin", "GET", f"{path}/report", params={"format": "md"}).text
    assert "Developer response: devco on subject" in md and RESPONSE.rstrip("\n") in md
    html = world.call("a-admin", "GET", f"{path}/report", params={"format": "html"}).text
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html
    ledger_ok(world)

    # the window closes after 7 days
    world.clock.advance(days=8)
    assert world.call("dev-subject", "GET", f"{path}/results").status_code == 404
    late = world.call("dev-subject", "POST", f"{path}/responses", json={"text": "late"})
    assert late.status_code == 404

    # once published, everyone (developers too) sees the aggregate, with the response
    agree(world, exercise, bundles.private_keys, "approve")
    assert world.call("a-admin", "POST", f"{path}/publish").status_code == 200
    public = world.call("dev-subject", "GET", f"{path}/results").json()
    assert models_in(public) == {"subject", "ref"}
    anonymous = world.call("anonymous", "GET", f"{path}/report", params={"format": "md"}).text
    assert RESPONSE.rstrip("\n") in anonymous
    entries = world.call("a-observer", "GET", "/ledger").json()
    recorded = [e for e in entries if e["kind"] == "developer.response"]
    assert len(recorded) == 1 and recorded[0]["actor"] == world.members["dev-subject"]
    # the ledger, which every signed-in member reads, holds the response's digest, not its text
    assert "We disagree" not in str(entries)
    assert recorded[0]["payload"]["sha256"] == hashlib.sha256(RESPONSE.encode()).hexdigest()
    ledger_ok(world)


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_per_sample_scores_for_developers_only_when_the_protocol_says(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    add_developers(world)
    exercise = reviewed_exercise(world, bundles, per_sample=True)
    path = f"/exercises/{exercise}"
    assert world.call("a-admin", "POST", f"{path}/close").status_code == 200
    page = world.call("dev-ref", "GET", f"{path}/scores", params={"limit": 10000})
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert items and {i["model_id"] for i in items} == {"ref"}
    assert world.call("dev-ref", "GET", f"{path}/submissions").status_code == 403


def test_the_protocol_checks_its_developer_review(tmp_path: Path, bundles: Bundles) -> None:
    data = yaml.safe_load(review_yaml(bundles.protocol_yaml))
    data["governance"]["developer_review"]["developers"][0]["models"] = ["nosuch"]
    with pytest.raises(ProtocolError, match="unknown model 'nosuch'"):
        parse_protocol(yaml.safe_dump(data), "p", tmp_path, resolve_tasks=False)
    data["governance"]["developer_review"]["developers"][0] = {
        "institute": "inst-a",
        "models": ["subject"],
    }
    with pytest.raises(ProtocolError, match="'inst-a' is a partner"):
        parse_protocol(yaml.safe_dump(data), "p", tmp_path, resolve_tasks=False)
    parsed = parse_protocol(review_yaml(bundles.protocol_yaml), "p", tmp_path, resolve_tasks=False)
    review = parsed.governance.developer_review
    assert review is not None and not review.per_sample
    assert review.models_of("devco") == {"subject"} and review.models_of("inst-a") == set()


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_the_cli_attaches_and_lists_a_response(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    from typer.testing import CliRunner

    from accord.cli import app
    from accord.hub import create_app, serve_in_background

    world = build_world(database, tmp_path, bundles)
    add_developers(world)
    exercise = reviewed_exercise(world, bundles)
    assert world.call("a-admin", "POST", f"/exercises/{exercise}/close").status_code == 200
    response = tmp_path / "response.md"
    response.write_text(RESPONSE, encoding="utf-8")
    empty = tmp_path / "empty.md"
    empty.write_text("  \n", encoding="utf-8")
    runner = CliRunner(env={"COLUMNS": "200"})
    with serve_in_background(create_app(world.hub)) as url:

        def run(who: str, *args: str) -> Any:
            common = ["--hub", url, "--token", world.tokens[who]]
            return runner.invoke(app, ["exercise", *args, exercise, *common])

        refused = run("dev-subject", "respond", "--file", str(empty))
        assert refused.exit_code != 0 and "is empty" in refused.output
        not_developer = run("a-evaluator", "respond", "--file", str(response))
        assert not_developer.exit_code != 0 and "developer" in not_developer.output
        done = run("dev-subject", "respond", "--file", str(response), "--json")
        assert done.exit_code == 0, done.output
        assert yaml.safe_load(done.stdout)["text"] == RESPONSE
        listed = run("a-observer", "responses")
    assert listed.exit_code == 0, listed.output
    assert "devco" in listed.stdout and "We disagree" in listed.stdout
    hidden = world.call("anonymous", "GET", f"/exercises/{exercise}/responses")
    assert hidden.status_code == 404  # not public before publication
