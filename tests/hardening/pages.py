"""Reading rendered pages in the hardening tests: the forms a browser would submit, and text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageForm:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def data(self, *, without: tuple[str, ...] = ()) -> dict[str, list[str]]:
        """What submitting the form unchanged posts (name -> values), less ``without``."""
        result: dict[str, list[str]] = {}
        for name, value in self.fields:
            if name not in without:
                result.setdefault(name, []).append(value)
        return result

    @property
    def csrf_token(self) -> str | None:
        return next((v for n, v in self.fields if n == "csrfmiddlewaretoken"), None)


class _FormsReader(HTMLParser):
    """Every form of a page with the fields it submits: checked boxes, selected options, text
    areas; <template> contents (rows added by script) are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self.current: PageForm | None = None
        self.template_depth = 0
        self.select: dict | None = None
        self.textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            method = (attr.get("method") or "get").lower()
            self.current = PageForm(method=method, action=attr.get("action") or "")
            self.forms.append(self.current)
            return
        if self.current is None:
            return
        if tag == "template":
            self.template_depth += 1
        if self.template_depth or "disabled" in attr:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = (attr.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    self.current.fields.append((name, attr.get("value") or "on"))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.current.fields.append((name, attr.get("value") or ""))
        elif tag == "select" and name:
            self.select = {
                "name": name,
                "multiple": "multiple" in attr,
                "chosen": [],
                "first": None,
            }
        elif tag == "option" and self.select is not None:
            value = attr.get("value") or ""
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attr:
                self.select["chosen"].append(value)
        elif tag == "textarea" and name:
            self.textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if self.current is None:
            return
        if tag == "template" and self.template_depth:
            self.template_depth -= 1
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                chosen = [self.select["first"]]
            self.current.fields.extend((self.select["name"], value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.current.fields.append((self.textarea[0], "".join(self.textarea[1]).lstrip("\n")))
            self.textarea = None
        elif tag == "form":
            self.current = None


def page_forms(html: str) -> list[PageForm]:
    reader = _FormsReader()
    reader.feed(html)
    return reader.forms


def page_form(html: str, *, action: str, method: str = "post") -> PageForm:
    """The one form of the page that submits to ``action`` ("" = the page itself)."""
    found = [f for f in page_forms(html) if f.action == action and f.method == method]
    assert len(found) == 1, f"{len(found)} {method} forms with action {action!r} in the page"
    return found[0]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text as a person reads it (markup entities decoded, scripts left out)."""
    reader = _Text()
    reader.feed(html)
    return " ".join(" ".join(reader.parts).split())


class _InlineCodeReader(HTMLParser):
    """What a strict Content-Security-Policy would block: inline <script> blocks (JSON data
    blocks excepted: they never run), ``style=""`` attributes and ``on…=`` handler attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "script" and not attr.get("src") and attr.get("type") != "application/json":
            self.found.append("<script> without src")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")


def inline_code(html: str) -> list[str]:
    reader = _InlineCodeReader()
    reader.feed(html)
    return reader.found
