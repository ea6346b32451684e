"""The pages per role (mirroring the API's authorization matrix) and a whole exercise via forms."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.store import AuditEvent
from tests.hub.conftest import agree
from tests.hub.test_authorization import A_ADMINS, A_MEMBERS, IDENTITIES
from tests.hub.test_authorization import INSIDERS as API_INSIDERS
from tests.hub.test_authorization import SIGNED_IN as API_SIGNED_IN
from tests.ui.conftest import BACKENDS, Bundles, World, build_world, csrf_of, post, sign_in

# The API matrix's callers plus b-admin (an admin of the other partner).
ROLES = [*IDENTITIES, "b-admin"]
INSIDERS = API_INSIDERS | {"b-admin"}
SIGNED_IN = API_SIGNED_IN | {"b-admin"}
ADMINS = {"hub-admin", "a-admin", "b-admin"}  # the audit log: each admin sees their own part
# The form shows to any partner's writer; which partner's bundle it takes is checked on upload.
WRITERS = {"a-admin", "a-evaluator", "c-secondee", "b-evaluator", "b-admin"}

# (page, marker that proves it shows the thing, visible before publication, after)
PAGES: list[tuple[str, str, str, set[str], set[str]]] = [
    ("exercise list", "/exercises", 'href="/exercises/refusal-pilot"', INSIDERS, set(ROLES)),
    (
        "exercise page",
        "/exercises/refusal-pilot",
        'id="progress-matrix"',
        INSIDERS,
        set(ROLES),
    ),
    ("submissions", "/exercises/refusal-pilot", 'id="submissions-h"', INSIDERS, INSIDERS),
    ("scores on the page", "/exercises/refusal-pilot", 'id="score-rows"', INSIDERS, INSIDERS),
    ("scores page", "/exercises/refusal-pilot/scores", 'id="score-rows"', INSIDERS, INSIDERS),
    ("manage buttons", "/exercises/refusal-pilot", "/refusal-pilot/close", A_ADMINS, set()),
    (
        "submit form",
        "/exercises/refusal-pilot",
        'id="bundle"',
        WRITERS,
        set(),
    ),
    (
        "create link",
        "/exercises",
        'href="/exercises/new"',
        A_ADMINS | {"b-admin"},
        A_ADMINS | {"b-admin"},
    ),
    (
        "new exercise form",
        "/exercises/new",
        'id="protocol"',
        A_ADMINS | {"b-admin"},
        A_ADMINS | {"b-admin"},
    ),
    ("ledger", "/ledger", 'id="ledger"', SIGNED_IN, SIGNED_IN),
    ("institutes", "/admin", 'id="institutes"', SIGNED_IN, SIGNED_IN),
    ("members", "/admin/institutes/inst-a", 'id="members"', A_MEMBERS, A_MEMBERS),
    ("add member form", "/admin/institutes/inst-a", 'id="m-email"', A_ADMINS, A_ADMINS),
    ("register key form", "/admin/institutes/inst-a", 'id="k-proof"', A_ADMINS, A_ADMINS),
    ("audit log", "/admin/audit", 'id="audit"', ADMINS, ADMINS),
]


def denials(world: World) -> int:
    with world.hub.sessions() as session:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "deny")
        return int(session.scalar(query) or 0)


def prepare(world: World, bundles: Bundles) -> str:
    """An open exercise with inst-a's bundle, a secondee and a lapsed secondee (as the API test)."""
    exercise = world.call(
        "a-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    ).json()["id"]
    agree(world, exercise, bundles.private_keys)  # every partner signs before it opens
    world.call("a-admin", "POST", f"/exercises/{exercise}/open")
    with bundles.a.open("rb") as stream:
        sent = world.call(
            "a-evaluator", "POST", f"/exercises/{exercise}/submissions", files={"bundle": stream}
        )
    assert sent.status_code == 201, sent.text
    admin, now = sign_in(world, "a-admin"), world.clock.now
    for who, days in (("c-secondee", 30.0), ("c-expired", 1 / 24)):  # granted through the form
        granted = post(
            admin,
            "/admin/institutes/inst-a/secondments",
            member_id=world.members[who],
            exercise_id=exercise,
            role="evaluator",
            starts_at=(now - timedelta(hours=1)).isoformat(),
            ends_at=(now + timedelta(days=days)).isoformat(),
        )
        assert granted.status_code == 303, granted.text
    world.clock.advance(hours=2)
    return str(exercise)


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_pages_per_role_follow_the_policy(database: str, tmp_path: Path, bundles: Bundles) -> None:
    world = build_world(database, tmp_path, bundles)
    exercise = prepare(world, bundles)
    clients = {who: sign_in(world, who) for who in ROLES}
    failures = []
    for phase in ("before", "after"):
        if phase == "after":
            world.call("hub-admin", "POST", f"/exercises/{exercise}/close")
            agree(world, exercise, bundles.private_keys, "approve")
            world.call("hub-admin", "POST", f"/exercises/{exercise}/publish")
        for name, path, marker, before, after in PAGES:
            allowed = before if phase == "before" else after
            for who in ROLES:
                count = denials(world)
                response = clients[who].get(path)
                shown = response.status_code == 200 and marker in response.text
                if shown != (who in allowed):
                    failures.append(
                        f"{phase}: {name} as {who}: {response.status_code}, shown={shown}"
                    )
                if response.status_code in (401, 403, 404):
                    if denials(world) <= count:
                        failures.append(f"{phase}: {name} as {who}: refusal not audited")
                    if "<h1>" not in response.text:
                        failures.append(f"{phase}: {name} as {who}: refusal is not an HTML page")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_an_exercise_through_the_forms(database: str, tmp_path: Path, bundles: Bundles) -> None:
    world = build_world(database, tmp_path, bundles)
    admin = sign_in(world, "a-admin")

    broken = bundles.protocol_yaml.replace("epochs: 2", "epochs: many", 1)
    assert broken != bundles.protocol_yaml
    bad = admin.post(
        f"/exercises?csrf={csrf_of(admin)}",
        files={"protocol": ("protocol.yaml", broken.encode(), "text/yaml")},
    )
    assert bad.status_code == 400 and 'id="protocol-error"' in bad.text
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "epochs: many" in text)
    assert re.search(rf"epochs \(line {line}\)", bad.text), bad.text[:2000]

    created = admin.post(
        f"/exercises?csrf={csrf_of(admin)}",
        files={"protocol": ("protocol.yaml", bundles.protocol_yaml.encode(), "text/yaml")},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    page = admin.get(created.headers["location"])
    assert "created as a draft" in page.text  # the hub's notice, carried with its MAC
    forged = created.headers["location"].replace("created+as+a+draft", "moved+to+evil.example")
    assert "evil.example" not in admin.get(forged).text
    assert "draft" in page.text and "0 of 3 runs submitted" in page.text
    refused = post(admin, "/exercises/refusal-pilot/open")  # no partner has signed yet
    assert refused.status_code == 409, refused.text
    agree(world, "refusal-pilot", bundles.private_keys)
    assert post(admin, "/exercises/refusal-pilot/open").status_code == 303

    for who, bundle in (("a-evaluator", bundles.a), ("b-evaluator", bundles.b)):
        client = sign_in(world, who)
        sent = client.post(
            f"/exercises/refusal-pilot/submissions?csrf={csrf_of(client)}",
            files={"bundle": ("x.accord", bundle.read_bytes())},
            follow_redirects=False,
        )
        assert sent.status_code == 303 and "accepted" in sent.headers["location"], sent.text
    evaluator = sign_in(world, "a-evaluator")
    wrong = evaluator.post(
        f"/exercises/refusal-pilot/submissions?csrf={csrf_of(evaluator)}",
        files={"bundle": ("b.accord", bundles.b.read_bytes())},
    )
    assert wrong.status_code == 403 and "cannot submit &#39;inst-b&#39;s bundle" in wrong.text

    page = admin.get("/exercises/refusal-pilot").text
    assert "3 of 3 runs submitted" in page
    assert 'id="chart-forest' in page and "<svg" in page and 'data-table="' in page
    assert page.count("sha256:") >= 2 and 'id="score-rows"' in page
    report = admin.get("/exercises/refusal-pilot/report?format=md")
    assert report.status_code == 200 and "refusal-pilot" in report.text
    if Path("/usr/bin/chromium").is_file():  # the PDF is printed by Debian's Chromium
        pdf = admin.get("/exercises/refusal-pilot/report?format=pdf")
        assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    export = admin.get("/exercises/refusal-pilot/export?format=csv")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    download = admin.get(
        re.search(r'href="(/exercises/refusal-pilot/submissions/[^"]+/bundle)"', page).group(1)
    )  # type: ignore[union-attr]
    assert download.content in (bundles.a.read_bytes(), bundles.b.read_bytes())

    assert post(admin, "/exercises/refusal-pilot/close").status_code == 303
    agree(world, "refusal-pilot", bundles.private_keys, "approve")
    assert post(admin, "/exercises/refusal-pilot/publish").status_code == 303
    public = TestClient(world.client.app).get("/exercises/refusal-pilot").text
    assert "published" in public and 'id="chart-forest' in public
    assert 'id="score-rows"' not in public and 'id="submissions-h"' not in public

    ledger = admin.get("/ledger?verify=true").text
    assert "Intact" in ledger and "exercise.published" in ledger


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_publish_before_the_embargo_is_refused_with_the_date(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world = build_world(database, tmp_path, bundles)
    embargoed = bundles.protocol_yaml.replace("embargo_until: null", "embargo_until: '2999-01-01'")
    assert embargoed != bundles.protocol_yaml
    admin = sign_in(world, "a-admin")
    created = admin.post(
        f"/exercises?csrf={csrf_of(admin)}",
        data={"protocol_yaml": embargoed},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    agree(world, "refusal-pilot", bundles.private_keys)
    post(admin, "/exercises/refusal-pilot/open")
    post(admin, "/exercises/refusal-pilot/close")
    agree(world, "refusal-pilot", bundles.private_keys, "approve")
    page = admin.get("/exercises/refusal-pilot").text
    assert "refused until the embargo ends on 2999-01-01" in page
    refused = post(admin, "/exercises/refusal-pilot/publish")
    assert refused.status_code == 409 and "under embargo until 2999-01-01" in refused.text


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_administration_through_the_forms(database: str, tmp_path: Path, bundles: Bundles) -> None:
    world = build_world(database, tmp_path, bundles)
    admin = sign_in(world, "a-admin")
    added = post(
        admin, "/admin/institutes/inst-a/members", email="n@a.example", name="New", role="observer"
    )
    assert added.status_code == 303
    page = admin.get("/admin/institutes/inst-a").text
    member = re.search(r'<td class="id">([0-9a-f]{32})</td><td>New</td>', page).group(1)  # type: ignore[union-attr]
    changed = post(admin, f"/admin/members/{member}/role", role="evaluator", institute="inst-a")
    assert changed.status_code == 303 and "is+now+evaluator" in changed.headers["location"]
    assert "<option selected>evaluator</option>" in admin.get("/admin/institutes/inst-a").text
    own = post(
        admin,
        f"/admin/members/{world.members['a-admin']}/role",
        role="observer",
        institute="inst-a",
    )
    assert own.status_code == 400 and "your own role" in own.text
    issued = post(admin, f"/admin/members/{member}/tokens", institute="inst-a", scopes="read")
    token = re.search(r'value="(acc_[^"]+)"', issued.text).group(1)  # type: ignore[union-attr]
    token_id = re.search(r'id="token-id">([^<]+)<', issued.text).group(1)  # type: ignore[union-attr]
    assert (
        world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    assert (
        post(admin, "/admin/tokens/revoke", token_id=token_id, institute="inst-a").status_code
        == 303
    )
    assert (
        world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    outsider = sign_in(world, "c-evaluator")
    refused = post(
        outsider, "/admin/institutes/inst-a/members", email="x@a.example", name="X", role="observer"
    )
    assert refused.status_code == 403, refused.text[-1500:]
    assert "member.create on inst-a" in refused.text


def test_errors_are_pages_for_people_and_json_for_the_api(tmp_path: Path, bundles: Bundles) -> None:
    world = build_world(str(tmp_path / "hub.db"), tmp_path, bundles)
    page = TestClient(world.client.app).get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Check the address" in page.text
    api = world.client.get("/api/v1/exercises/nope", headers=world.as_("hub-admin"))
    assert api.status_code == 404 and api.json()["error"]["message"] == "no exercise 'nope'"
    bad = sign_in(world, "a-admin").get("/exercises/x/scores?after=-1")
    assert bad.status_code == 422 and "after" in bad.text and "<h1>" in bad.text
