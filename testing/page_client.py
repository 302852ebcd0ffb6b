"""A browser-like client for the web pages, and a small reader for the HTML they return.

`PageClient` enforces CSRF like a browser session would: it logs in through the login form
(POST /accounts/login/ with csrfmiddlewaretoken) and submits a page's forms with the
token from the csrftoken cookie. `submit()` first fetches the page and sends the form's
own defaults (checked radios, selected options, textarea text), as a browser does, with
the test's changes on top.

`Page` parses the HTML with the standard library into a small tree, enough to find a
field's error next to it, the order of elements, and the accessibility basics every page
must have (`structure_problems`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

from django.conf import settings
from django.test import Client

from testing.factories import PASSWORD

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_NOT_LABELLED = {"hidden", "submit", "button", "reset", "image"}


class Node:
    """An element: tag, attributes, children (elements and text), parent, position in the document."""

    def __init__(self, tag: str, attrs: dict, parent: Node | None, position: int):
        self.tag, self.attrs, self.parent, self.position = tag, attrs, parent, position
        self.children: list[Node | str] = []

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        """The text content, whitespace collapsed."""
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join(" ".join(parts).split())

    def raw_text(self) -> str:
        return "".join(child if isinstance(child, str) else child.raw_text() for child in self.children)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs) -> list[Node]:
        """Descendants matching the tag, a class, and exact attribute values (`type_` for `type`)."""
        attrs = {key.rstrip("_"): value for key, value in attrs.items()}
        return [
            node
            for node in self.iter()
            if node is not self
            and (tag is None or node.tag == tag)
            and (class_ is None or class_ in node.classes)
            and all(node.attrs.get(key) == value for key, value in attrs.items())
        ]

    def find(self, tag: str | None = None, class_: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, class_, **attrs)
        return found[0] if found else None

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def closest(self, tag: str, class_: str | None = None) -> Node | None:
        return next((n for n in self.ancestors() if n.tag == tag and (class_ is None or class_ in n.classes)), None)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None, 0)
        self.stack = [self.root]
        self.count = 0

    def _element(self, tag, attrs) -> Node:
        self.count += 1
        node = Node(tag, {key: "" if value is None else value for key, value in attrs}, self.stack[-1], self.count)
        self.stack[-1].children.append(node)
        return node

    def handle_starttag(self, tag, attrs):
        node = self._element(tag, attrs)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _controls(root: Node) -> list[Node]:
    return [node for node in root.iter() if node.tag in ("input", "select", "textarea")]


class Page:
    """A rendered HTML page."""

    def __init__(self, response):
        self.response = response
        self.html = response.content.decode()
        self.doc = parse(self.html)

    def text(self) -> str:
        return self.doc.text()

    @property
    def main(self) -> Node:
        main = self.doc.find("main")
        assert main is not None, self.html
        return main

    def messages(self) -> list[tuple[str, str]]:
        """The flash messages: (level, text)."""
        return [
            (next(c for c in node.classes if c.startswith("message-")).removeprefix("message-"), node.text())
            for node in self.doc.find_all("p", class_="message")
        ]

    def forms(self) -> list[Node]:
        """The page's POST forms, without the header's log-out button."""
        return [
            form
            for form in self.doc.find_all("form")
            if form.attrs.get("method", "get").lower() == "post" and not form.attrs.get("action", "").endswith(LOGOUT)
        ]

    def form(self, action: str | None = None) -> Node:
        """The POST form whose hidden `action` field is `action` (or the only POST form)."""
        forms = [
            form
            for form in self.forms()
            if action is None or form.find("input", type_="hidden", name="action", value=action) is not None
        ]
        assert len(forms) == 1, f"{len(forms)} forms for action {action!r} in\n{self.html}"
        return forms[0]

    def has_form(self, action: str) -> bool:
        return any(form.find("input", type_="hidden", name="action", value=action) for form in self.forms())

    @staticmethod
    def form_values(form: Node) -> dict[str, list[str]]:
        """What a browser would send for this form untouched (files aside)."""
        values: dict[str, list[str]] = {}
        for control in _controls(form):
            name = control.attrs.get("name")
            if not name or "disabled" in control.attrs:
                continue
            kind = control.attrs.get("type", "text").lower()
            if control.tag == "input":
                if kind in ("submit", "button", "reset", "image", "file"):
                    continue
                if kind in ("checkbox", "radio"):
                    if "checked" in control.attrs:
                        values.setdefault(name, []).append(control.attrs.get("value", "on"))
                    continue
                values.setdefault(name, []).append(control.attrs.get("value", ""))
            elif control.tag == "textarea":
                text = control.raw_text()
                values.setdefault(name, []).append(text[1:] if text.startswith("\n") else text)
            else:
                options = control.find_all("option")
                chosen = [o for o in options if "selected" in o.attrs]
                if not chosen and options and "multiple" not in control.attrs:
                    chosen = options[:1]
                values.setdefault(name, []).extend(o.attrs.get("value", o.text()) for o in chosen)
        return values

    def control(self, name: str) -> Node:
        found = [node for node in _controls(self.doc) if node.attrs.get("name") == name]
        assert len(found) == 1, f"{len(found)} controls named {name!r}"
        return found[0]

    def value(self, name: str) -> str:
        """The value shown in the control `name` (input value or textarea text)."""
        control = self.control(name)
        if control.tag == "textarea":
            text = control.raw_text()
            return text[1:] if text.startswith("\n") else text
        return control.attrs.get("value", "")

    def field_errors(self, name: str) -> list[str]:
        """The error texts inside the same `.field` box as the control `name` (or its checkboxes)."""
        controls = [node for node in _controls(self.doc) if node.attrs.get("name") == name]
        assert controls, f"no control named {name!r}"
        box = controls[0].closest("div", class_="field")
        assert box is not None, f"{name} is not inside a .field box"
        return [p.text().removeprefix("Error:").strip() for p in box.find_all("p", class_="error")]

    def error_summary(self) -> str | None:
        summary = self.doc.find(id="error-summary")
        return summary.text() if summary is not None else None

    def structure_problems(self) -> list[str]:
        """What every page must have: one h1, <main id="main">, labelled controls, unique ids,
        and the gas-emergency number in the banner."""
        problems = []
        h1s = self.doc.find_all("h1")
        if len(h1s) != 1:
            problems.append(f"{len(h1s)} h1 elements: {[h.text() for h in h1s]}")
        if self.doc.find("main", id="main") is None:
            problems.append('no <main id="main">')
        ids = [node.attrs["id"] for node in self.doc.iter() if "id" in node.attrs]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"duplicate ids: {duplicates}")
        labelled = {label.attrs.get("for") for label in self.doc.find_all("label")}
        for control in _controls(self.doc):
            if control.tag == "input" and control.attrs.get("type", "text").lower() in _NOT_LABELLED:
                continue
            in_fieldset = any(
                node.tag == "fieldset" and node.find("legend") is not None for node in control.ancestors()
            )
            if not (control.attrs.get("id") in labelled and control.attrs.get("id")) and not in_fieldset:
                problems.append(f"no label for {control!r}")
            missing = [i for i in control.attrs.get("aria-describedby", "").split() if i not in ids]
            if missing:
                problems.append(f"aria-describedby of {control.attrs.get('name')!r} names missing ids {missing}")
        banner = self.doc.find("aside", class_="emergency-banner")
        if banner is None or settings.EMERGENCY_PHONE_NUMBER not in banner.text():
            problems.append(f"the banner does not show {settings.EMERGENCY_PHONE_NUMBER}")
        return problems

    def position(self, node: Node | None) -> int:
        assert node is not None
        return node.position


class PageClient:
    """A logged-in (or anonymous) browser session with enforced CSRF checks."""

    def __init__(self):
        self.client = Client(enforce_csrf_checks=True)
        self.user = None

    @property
    def csrf_token(self) -> str:
        return self.client.cookies["csrftoken"].value

    def get(self, path: str, data=None, **kwargs):
        return self.client.get(path, data, **kwargs)

    def page(self, path: str, data=None, status: int = 200) -> Page:
        response = self.get(path, data)
        assert response.status_code == status, (path, response.status_code, response.get("Location"))
        return Page(response)

    def post(self, path: str, data=None, **kwargs):
        """POST form data with the token from the cookie, as the page's hidden field carries it."""
        return self.client.post(path, {**(data or {}), "csrfmiddlewaretoken": self.csrf_token}, **kwargs)

    def login(self, user, password: str = PASSWORD, next_url: str | None = None):
        """Log in through the login form, as a person would."""
        path = LOGIN + (f"?{urlencode({'next': next_url})}" if next_url else "")
        response = self.submit(path, {"username": user.username, "password": password})
        assert response.status_code == 302, response.content.decode()
        self.user = user
        return response

    def logout(self):
        return self.post(LOGOUT)

    def submit(self, path: str, data=None, *, action: str | None = None, follow: bool = False):
        """Fetch `path`, fill its form (the one for `action`) like a browser, change `data`, post it."""
        page = self.page(path)
        form = page.form(action)
        values = {**page.form_values(form), **(data or {})}
        return self.post(form.attrs.get("action") or path, values, follow=follow)


def login_redirect(path: str) -> str:
    """Where a logged-out visitor to `path` is sent."""
    return f"{LOGIN}?next={quote(path)}"


REFERENCE = re.compile(r"SR-[A-Z0-9]{4}-[A-Z0-9]{4}")
