"""Fixtures of the real-browser tests (defined in testing/browser.py)."""

from testing.browser import open_browser, playwright_driver, request_types  # noqa: F401
