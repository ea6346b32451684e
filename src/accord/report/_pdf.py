"""Print the HTML report to PDF in headless Chromium (Debian `chromium`, driven by Playwright)."""

from pathlib import Path

from .._util import OperationError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def html_to_pdf(html: str, target: Path, chromium: Path = CHROMIUM) -> None:
    """Print `html` to an A4 PDF at `target`; every network request is refused.

    Raises:
        OperationError: When Chromium or Playwright is missing, or printing fails.
    """
    if not chromium.is_file():
        raise OperationError(
            f"PDF output needs Chromium at {chromium}: install the Debian package `chromium` "
            "(or write HTML with -o report.html and print it from a browser)"
        )
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise OperationError(
            "PDF output needs the `playwright` package: pip install playwright "
            "(no browser download: Accord uses the system Chromium)"
        ) from None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.abort())
                page.set_content(html, wait_until="load")
                page.emulate_media(media="print")
                page.pdf(
                    path=str(target),
                    format="A4",
                    print_background=True,
                    margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"},
                )
            finally:
                browser.close()
    except Error as ex:
        raise OperationError(f"printing the report to PDF in {chromium} failed: {ex}") from None
