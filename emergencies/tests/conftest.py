"""Fixtures of the real-browser tests (defined in core/tests/browser.py)."""

from core.tests.browser import open_browser, playwright_driver, request_types  # noqa: F401
