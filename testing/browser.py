"""Real-browser test helpers: Debian's Chromium driven by Playwright, axe-core served from disk.

Each person in a scenario gets their own `BrowserSession`: a fresh Chromium profile at a
phone (390x844) or desktop (1280x900) size, pointed at pytest-django's live server.
`check_page` saves a screenshot to test-artifacts/screenshots/, runs axe-core on the page
and checks that every label names a form control. Problems (axe's serious and critical
ones, and untied labels) fail the test when its browsers close, after the scenario's own
assertions have run, so one run reports every page at once.

Import the fixtures into a conftest.py to use them.
"""

import importlib
import importlib.resources
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Locator, Page, sync_playwright

from accounts.models import User
from testing.factories import PASSWORD, seed_request_type_catalogue

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_REPORTS = ARTIFACTS / "axe"
AXE_JS = Path(str(importlib.resources.files("axe_playwright_python") / "axe.min.js"))
BLOCKING_IMPACTS = {"serious", "critical"}
# Playwright's default of 30 s only hides a hang; every page here renders in well under a second.
TIMEOUT_MS = 10_000


class BrowserSession:
    """One person's browser: a fresh Chromium profile at a phone or desktop size."""

    def __init__(self, playwright, base_url: str, viewport: str, *, javascript: bool = True):
        self.base_url, self.viewport, self.javascript = base_url, viewport, javascript
        self.profile_dir = tempfile.mkdtemp(prefix="gu-chromium-")
        self.context = playwright.chromium.launch_persistent_context(
            self.profile_dir,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            base_url=base_url,
            java_script_enabled=javascript,
            **VIEWPORTS[viewport],
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page: Page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.foreign_requests: list[str] = []
        self.failed_assets: list[str] = []
        self.script_errors: list[str] = []
        self.a11y_violations: list[str] = []
        self.context.on("request", self._on_request)
        self.context.on("response", self._on_response)
        self.page.on("pageerror", lambda error: self.script_errors.append(f"{self.page.url}: {error}"))

    def _on_request(self, request):
        # No CDN: every stylesheet, script and font comes from the project itself.
        if not request.url.startswith((self.base_url, "data:", "blob:", "about:")):
            self.foreign_requests.append(request.url)

    def _on_response(self, response):
        if response.request.resource_type != "document" and response.status >= 400:
            self.failed_assets.append(f"{response.status} {response.url}")

    def goto(self, path: str) -> int:
        """Open `path` on the live server; return the HTTP status of the page."""
        response = self.page.goto(path)
        return response.status

    def submit(self, button: Locator) -> int:
        """Click a submit button and wait for the page it leads to; return its HTTP status."""
        with self.page.expect_navigation() as navigation:
            button.click()
        return navigation.value.status

    def close(self):
        self.context.close()
        shutil.rmtree(self.profile_dir, ignore_errors=True)


def login(session: BrowserSession, user: User, password: str = PASSWORD) -> None:
    """Log in through the real login form, as a person would."""
    page = session.page
    assert session.goto("/accounts/login/") == 200
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    assert session.submit(page.get_by_role("button", name="Log in")) == 200
    assert "/accounts/login/" not in page.url, f"{user.username} could not log in"


def screenshot(session: BrowserSession, name: str) -> Path:
    """Save a full-page PNG of the current page as test-artifacts/screenshots/<name>-<viewport>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{session.viewport}.png"
    session.page.screenshot(path=path, full_page=True)
    return path


def axe_scan(session: BrowserSession, name: str) -> list[dict]:
    """Run axe-core (from the installed package, never a CDN) on the page; return its violations.

    The full result goes to test-artifacts/axe/<name>-<viewport>.json; serious and critical
    violations are recorded on the session with their rule, help text and selectors.
    """
    page = session.page
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: our Content-Security-Policy (rightly) refuses
        # the inline <script> add_script_tag would insert.
        page.evaluate(AXE_JS.read_text() + "\n;void 0")
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    AXE_REPORTS.mkdir(parents=True, exist_ok=True)
    (AXE_REPORTS / f"{name}-{session.viewport}.json").write_text(json.dumps(violations, indent=2))
    for violation in violations:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"])
            session.a11y_violations.append(
                f"{name} ({session.viewport}, {page.url}): {violation['id']} [{violation['impact']}] "
                f"{violation['help']}; at {targets}"
            )
    return violations


def orphan_labels(session: BrowserSession, name: str) -> list[str]:
    """Record every <label for=...> that names no form control (axe allows it: the label is then tied to nothing)."""
    orphans = session.page.evaluate(
        """() => [...document.querySelectorAll('label[for]')]
            .filter(label => !label.control)
            .map(label => `label[for="${label.htmlFor}"] ("${label.textContent.trim().replace(/\\s+/g, ' ')}")`)"""
    )
    for orphan in orphans:
        session.a11y_violations.append(
            f"{name} ({session.viewport}, {session.page.url}): label-without-control: {orphan} "
            "points at an element that is not a form control"
        )
    return orphans


def check_page(session: BrowserSession, name: str) -> None:
    """Screenshot the page, scan it for accessibility problems and check it loaded cleanly.

    axe-core needs JavaScript; pages opened without it are scanned by the same templates
    in the JavaScript-enabled scenarios.
    """
    screenshot(session, name)
    orphan_labels(session, name)
    if session.javascript:
        axe_scan(session, name)
    assert not session.foreign_requests, f"{name}: requests left the server: {session.foreign_requests}"
    assert not session.failed_assets, f"{name}: assets failed to load: {session.failed_assets}"
    assert not session.script_errors, f"{name}: JavaScript errors: {session.script_errors}"


def visible_text(page: Page) -> str:
    """The page's rendered text, whitespace collapsed (what a person can read)."""
    return re.sub(r"\s+", " ", page.locator("body").inner_text())


@pytest.fixture(scope="module")
def playwright_driver(django_db_setup):
    """Playwright for one test module; it stops before other modules' tests run.

    Its sync API keeps an event loop running in this thread for as long as it is started,
    which makes Django refuse every ORM call (including pytest-django's flushes) unless told
    they are safe: they are, being synchronous and one at a time.
    """
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield playwright


@pytest.fixture
def request_types(transactional_db):
    """Seed the request-type catalogue as its data migration does (transactional tests flush it)."""
    seed_request_type_catalogue()


@pytest.fixture
def open_browser(playwright_driver, live_server, request_types):
    """Open browsers on the live server: `open_browser("phone")`, `open_browser("desktop", javascript=False)`.

    On teardown, every browser closes and any accessibility problem found by `check_page`
    (serious or critical for axe-core, or a label tied to nothing) fails the test.
    """
    sessions: list[BrowserSession] = []

    def open_(viewport: str, *, javascript: bool = True) -> BrowserSession:
        session = BrowserSession(playwright_driver, live_server.url, viewport, javascript=javascript)
        sessions.append(session)
        return session

    yield open_
    for session in sessions:
        session.close()
    violations = [violation for session in sessions for violation in session.a11y_violations]
    if violations:
        pytest.fail("Accessibility problems:\n" + "\n".join(violations), pytrace=False)
