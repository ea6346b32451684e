"""Agreement in the browser: partners upload acts they signed offline (never a private key)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli import app
from tests.ui.conftest import Bundles, World, build_world
from tests.ui.test_browser import CHROMIUM, browser, open_as

__all__ = ["browser"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="needs Debian's Chromium at /usr/bin/chromium (apt install chromium)",
)


@pytest.fixture
def live(tmp_path: Path, bundles: Bundles) -> Iterator[tuple[World, str]]:
    from accord.hub import serve_in_background

    world = build_world(str(tmp_path / "hub.db"), tmp_path, bundles)
    with serve_in_background(world.client.app) as url:
        yield world, url


def sign_offline(
    bundles: Bundles, tmp_path: Path, partner: str, act: str, hub_id: str, reason: str = ""
) -> Path:
    """`accord protocol sign` on the partner's machine, as the page tells them to run it."""
    protocol = tmp_path / "protocol.yaml"
    protocol.write_text(bundles.protocol_yaml)
    out = tmp_path / f"{partner}-{act}-{len(list(tmp_path.glob('*.sig.json')))}.sig.json"
    args = ["protocol", "sign", str(protocol), "--act", act, "--for-hub", hub_id]
    args += ["--key", str(bundles.private_keys[partner]), "-o", str(out)]
    if reason:
        args += ["--reason", reason]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    return out


def upload(page: Any, path: Path, button: str) -> str:
    page.get_by_label("Signed act file").set_input_files(str(path))
    page.get_by_role("button", name=button).click()
    return str(page.locator("body").inner_text())


def test_partners_sign_object_withdraw_and_approve_on_the_exercise_page(
    browser: Any, live: tuple[World, str], bundles: Bundles, tmp_path: Path
) -> None:
    world, url = live
    created = world.call(
        "a-admin", "POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml}
    )
    exercise = created.json()["id"]
    page_url = f"{url}/exercises/{exercise}"
    admin_a = open_as(browser, url, world, "a-admin")
    admin_a.goto(page_url)
    assert admin_a.locator("#can-open").inner_text() == "waiting"
    hub_id = admin_a.locator("#hub-id").inner_text()
    assert hub_id == world.hub.hub_id
    commands = admin_a.locator("ul.commands").inner_text()
    assert f"--act sign-off --for-hub {hub_id} --key keys/inst-a.key" in commands
    assert "inst-b" not in commands  # inst-a's admin records inst-a's acts only

    # the wrong file for the button, a private key, an act for another hub: refused, nothing kept
    objection = sign_offline(bundles, tmp_path, "inst-a", "object", hub_id, "wait")
    refused = upload(admin_a, objection, "Sign the protocol")
    assert "you chose 'sign-off' but the file is a signed 'object'" in refused
    admin_a.goto(page_url)
    admin_a.get_by_label("or paste it").fill(bundles.private_keys["inst-a"].read_text())
    admin_a.get_by_role("button", name="Sign the protocol").click()
    assert "never upload it" in admin_a.locator("body").inner_text()
    admin_a.goto(page_url)
    elsewhere = sign_offline(bundles, tmp_path, "inst-a", "sign-off", "ed25519:" + "0" * 32)
    assert "signed for hub ed25519:0000" in upload(admin_a, elsewhere, "Sign the protocol")
    admin_a.goto(page_url)
    assert admin_a.locator("#agreement-table").inner_text().count("not signed") == 2

    signed = sign_offline(bundles, tmp_path, "inst-a", "sign-off", hub_id)
    upload(admin_a, signed, "Sign the protocol")
    assert "Recorded: sign-off by inst-a." in admin_a.locator("p.notice").inner_text()
    row = admin_a.locator("#agreement-table tbody tr").first.inner_text()
    assert "inst-a" in row and "sign-off" in row and "this hub" in row

    admin_b = open_as(browser, url, world, "b-admin")
    admin_b.goto(page_url)
    pasted = sign_offline(bundles, tmp_path, "inst-b", "sign-off", hub_id).read_text()
    admin_b.get_by_label("or paste it").fill(pasted)
    admin_b.get_by_role("button", name="Sign the protocol").click()
    assert "Every sign-off the exercise needs is in." in admin_b.locator("p.notice").inner_text()
    admin_a.goto(page_url)
    assert admin_a.locator("#can-open").inner_text() == "ready"
    admin_a.get_by_role("button", name="Open for submissions").click()
    admin_a.get_by_role("button", name="Close submissions").click()

    # an objection with its reason blocks publication until withdrawn
    objected = sign_offline(bundles, tmp_path, "inst-b", "object", hub_id, "F1 needs a rerun")
    admin_b.goto(page_url)
    upload(admin_b, objected, "Object to publication")
    assert "F1 needs a rerun" in admin_b.locator("#objections").inner_text()
    approved = sign_offline(bundles, tmp_path, "inst-a", "approve", hub_id)
    admin_a.goto(page_url)
    upload(admin_a, approved, "Approve publication")
    admin_a.get_by_role("button", name="Publish").click()
    assert "objected to by inst-b: F1 needs a rerun" in admin_a.locator("body").inner_text()
    admin_b.goto(page_url)
    upload(admin_b, sign_offline(bundles, tmp_path, "inst-b", "withdraw", hub_id), "Withdraw")
    upload(admin_b, sign_offline(bundles, tmp_path, "inst-b", "approve", hub_id), "Approve")
    assert admin_b.locator("#can-publish").inner_text() == "agreed"
    admin_a.goto(page_url)
    admin_a.get_by_role("button", name="Publish").click()
    assert admin_a.locator("#state").inner_text() == "published"

    # evaluators see where partners stand, but get no form; a post without CSRF is refused
    evaluator = open_as(browser, url, world, "a-evaluator")
    evaluator.goto(page_url)
    assert evaluator.locator("#agreement-table").count() == 1
    assert evaluator.locator("#act-form").count() == 0
    forged = admin_a.request.post(f"{page_url}/acts", multipart={"act_text": pasted})
    assert forged.status == 403
    assert world.call("hub-admin", "GET", "/ledger/verify").json()["ok"] is True
