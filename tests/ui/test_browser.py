"""The web interface in a real browser (Playwright driving Debian's Chromium, never a download).

Covers sign-in per role against the policy matrix, a whole exercise through the pages, CSRF,
session expiry, sign-out, keyboard use, axe-core accessibility checks and the docs' screenshots.
"""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accord.report import CHROMIUM_ARGS as ARGS
from tests.hub.conftest import agree
from tests.ui.conftest import Bundles, World, build_world
from tests.ui.test_pages import PAGES, prepare

CHROMIUM = Path("/usr/bin/chromium")
# The docs' screenshots are refreshed only on request (`make screenshots`): tests never write
# into the checkout otherwise.
IMAGES = (
    Path(__file__).parents[2] / "docs" / "images"
    if os.environ.get("ACCORD_UPDATE_SCREENSHOTS")
    else Path(tempfile.mkdtemp(prefix="accord-ui-shots-"))
)
BROWSER_ROLES = [
    "hub-admin",
    "a-admin",
    "a-evaluator",
    "a-observer",
    "c-secondee",
    "c-evaluator",
    "anonymous",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="needs Debian's Chromium at /usr/bin/chromium (apt install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live(tmp_path: Path, bundles: Bundles) -> Iterator[tuple[World, str]]:
    from accord.hub import serve_in_background

    world = build_world(str(tmp_path / "hub.db"), tmp_path, bundles)
    with serve_in_background(world.client.app) as url:
        yield world, url


def open_as(browser: Any, url: str, world: World, who: str, width: int = 1280) -> Any:
    """A new browser context (its own cookies) signed in as `who` through the sign-in form."""
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(url) else route.abort(),
    )
    page = context.new_page()
    if who != "anonymous":
        page.goto(f"{url}/signin")
        page.get_by_label("API token").fill(world.tokens[who])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{url}/exercises*")
        assert "Signed in." in page.content()
    return page


def shot(page: Any, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / f"ui-{name}.png"), full_page=False)


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_each_role_sees_what_the_policy_allows(
    browser: Any, live: tuple[World, str], bundles: Bundles
) -> None:
    world, url = live
    prepare(world, bundles)
    failures = []
    for who in BROWSER_ROLES:
        page = open_as(browser, url, world, who)
        for name, path, marker, allowed, _ in PAGES:
            response = page.goto(f"{url}{path}")
            shown = response is not None and response.status == 200 and marker in page.content()
            if shown != (who in allowed):
                failures.append(
                    f"{name} as {who}: status {response and response.status}, shown={shown}"
                )
        page.context.close()
    assert failures == [], "\n".join(failures)


def test_an_exercise_from_creation_to_publication_in_the_browser(
    browser: Any, live: tuple[World, str], bundles: Bundles, tmp_path: Path
) -> None:
    world, url = live
    admin = open_as(browser, url, world, "a-admin")
    admin.get_by_role("link", name="Create an exercise from a protocol").click()
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(bundles.protocol_yaml.replace("epochs: 2", "epochs: many", 1))
    admin.get_by_label("Protocol file").set_input_files(str(wrong))
    admin.get_by_role("button", name="Create exercise").click()
    error = admin.locator("#protocol-error").inner_text()
    line = next(i for i, t in enumerate(wrong.read_text().splitlines(), 1) if "epochs: many" in t)
    assert f"(line {line})" in error
    shot(admin, "protocol-error")

    good = tmp_path / "protocol.yaml"
    good.write_text(bundles.protocol_yaml)
    admin.get_by_label("Protocol file").set_input_files(str(good))
    admin.get_by_role("button", name="Create exercise").click()
    assert admin.locator("#state").inner_text() == "draft"
    agree(world, "refusal-pilot", bundles.private_keys)  # partners sign (offline, relayed)
    admin.get_by_role("button", name="Open for submissions").click()
    assert admin.locator("#state").inner_text() == "open"

    for who, bundle in (("a-evaluator", bundles.a), ("b-evaluator", bundles.b)):
        page = open_as(browser, url, world, who)
        page.goto(f"{url}/exercises/refusal-pilot")
        page.get_by_label("Submit a signed bundle").set_input_files(str(bundle))
        page.get_by_role("button", name="Submit bundle").click()
        assert "accepted" in page.locator("p.notice").inner_text()
        page.context.close()

    admin.goto(f"{url}/exercises/refusal-pilot")
    assert "3 of 3 runs submitted" in admin.locator("#progress-h").inner_text()
    assert admin.locator("figure.chart svg").count() >= 1
    shot(admin, "exercise")
    admin.locator("#results").screenshot(path=str(IMAGES / "ui-results.png"))
    admin.set_viewport_size({"width": 390, "height": 844})
    width = admin.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the exercise page scrolls sideways at 390 px ({width} px)"
    shot(admin, "exercise-390")
    admin.set_viewport_size({"width": 1280, "height": 900})
    admin.get_by_role("button", name="Close submissions").click()
    agree(world, "refusal-pilot", bundles.private_keys, "approve")
    admin.get_by_role("button", name="Publish").click()
    assert admin.locator("#state").inner_text() == "published"

    public = open_as(browser, url, world, "anonymous")
    public.goto(f"{url}/exercises")
    assert "refusal-pilot" in public.content()
    public.goto(f"{url}/exercises/refusal-pilot")
    assert public.locator("#submissions").count() == 0 and public.locator("#results").count() == 1
    admin.goto(f"{url}/ledger")
    admin.get_by_role("button", name="Verify the whole chain").click()
    assert "Intact" in admin.locator("#verify-result").inner_text()
    shot(admin, "ledger")
    admin.goto(f"{url}/exercises")
    shot(admin, "exercises")
    admin.goto(f"{url}/admin/institutes/inst-a")
    shot(admin, "institute")


def test_main_pages_pass_axe_and_work_by_keyboard(
    browser: Any, live: tuple[World, str], bundles: Bundles
) -> None:
    world, url = live
    prepare(world, bundles)
    page = open_as(browser, url, world, "anonymous")
    page.goto(f"{url}/signin")
    shot(page, "signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    failures = {"/signin": serious_violations(page)}
    page = open_as(browser, url, world, "a-admin")
    for path in (
        "/exercises",
        "/exercises/refusal-pilot",
        "/exercises/refusal-pilot/scores",
        "/exercises/new",
        "/ledger?verify=true",
        "/admin",
        "/admin/institutes/inst-a",
        "/admin/audit",
        "/exercises/nope",
    ):
        page.goto(f"{url}{path}")
        failures[path] = serious_violations(page)
    narrow = open_as(browser, url, world, "a-admin", width=390)
    for path in ("/exercises", "/exercises/refusal-pilot", "/ledger", "/admin/institutes/inst-a"):
        narrow.goto(f"{url}{path}")
        width = narrow.evaluate("document.documentElement.scrollWidth")
        if width > 390:  # wide tables scroll inside their own box, never the page
            failures[f"{path} at 390 px"] = [f"the page is {width} px wide"]
    assert {k: v for k, v in failures.items() if v} == {}


def test_csrf_expiry_and_sign_out_in_the_browser(
    browser: Any, live: tuple[World, str], bundles: Bundles
) -> None:
    world, url = live
    prepare(world, bundles)
    page = open_as(browser, url, world, "hub-admin")
    page.goto(f"{url}/exercises/refusal-pilot")
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    page.get_by_role("button", name="Close submissions").click()
    assert "CSRF" in page.locator(".error").inner_text()
    assert world.call("hub-admin", "GET", "/exercises/refusal-pilot").json()["state"] == "open"

    world.clock.advance(minutes=31)
    page.goto(f"{url}/exercises/refusal-pilot")
    assert page.get_by_role("link", name="Sign in").count() >= 1  # the idle session ended
    assert "Signed in:" not in page.content()

    page = open_as(browser, url, world, "hub-admin")
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "accord_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert all(world.tokens["hub-admin"] not in c["value"] for c in cookies)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{url}/signin")
    page.goto(f"{url}/admin/audit")
    assert "Sign in needed" in page.content() or "Not allowed" in page.content()
