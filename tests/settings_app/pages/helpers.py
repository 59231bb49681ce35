"""Reading the SLA settings page as a browser does, and the settings documents its tests use."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.test import Client

from settings_app.models import SlaSettingsChange

SLA_URL = "/settings/sla/"
FormData = dict[str, list[str]]

WEEKDAY_HOURS = {
    "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
    "tue": [["09:00", "17:00"]],
    "wed": [["09:00", "17:00"]],
    "thu": [["09:00", "17:00"]],
    "fri": [["09:00", "17:00"]],
}


def goal(value: str | None, *minutes: int | None, enabled: bool = True) -> dict:
    names = (
        "first_response_minutes",
        "first_response_due_soon_minutes",
        "next_response_minutes",
        "next_response_due_soon_minutes",
        "close_minutes",
        "close_due_soon_minutes",
    )
    padded = list(minutes) + [None] * (len(names) - len(minutes))
    return {"value": value, "enabled": enabled, **dict(zip(names, padded, strict=True))}


BY_PRIORITY = {
    "applies": "working_hours",
    "timezone": "Europe/Stockholm",
    "working_hours": WEEKDAY_HOURS,
    "holidays": [
        {"date": "2026-12-24", "name": "Christmas Eve", "recurring": True},
        {"date": "2026-12-31", "name": "New Year's Eve", "recurring": False},
    ],
    "pause_statuses": ["support/waiting-on-customer"],
    "goals_enabled": True,
    "scope": "property",
    "property": "priority",
    "goals": [
        goal("urgent", 15, 5, 60, 10, 240, 60),
        goal("high", 60, 15, 240, 30, 1440, 240),
        goal("medium", 240, 30, 480, 60, 4320, 480),
        goal("low", enabled=False),
    ],
}


class _FormReader(HTMLParser):
    """The fields a browser submits from one form: checked, selected, enabled, not in templates."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.template_depth = 0
        self.fields: list[tuple[str, str]] = []
        self.select: dict | None = None
        self.textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form" and attr.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
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
                    self.fields.append((name, attr.get("value") or "on"))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.fields.append((name, attr.get("value") or ""))
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
        if not self.inside:
            return
        if tag == "template" and self.template_depth:
            self.template_depth -= 1
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                chosen = [self.select["first"]]
            self.fields.extend((self.select["name"], value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], "".join(self.textarea[1]).lstrip("\n")))
            self.textarea = None
        elif tag == "form":
            self.inside = False


def form_data(html: str, form_id: str = "sla-form") -> FormData:
    """What submitting the form ``form_id`` unchanged would post, as name -> values."""
    reader = _FormReader(form_id)
    reader.feed(html)
    data: FormData = {}
    for name, value in reader.fields:
        data.setdefault(name, []).append(value)
    assert data, f"no form #{form_id} in the page"
    return data


class _TextById(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.depth = 0
        self.found = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("input", "br", "img", "meta", "link", "hr", "option"):
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("input", "br", "img", "meta", "link", "hr", "option"):
            return
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with ``element_id`` (whitespace collapsed)."""
    reader = _TextById(element_id)
    reader.feed(html)
    assert reader.found, f"no element #{element_id} in the page"
    return " ".join("".join(reader.parts).split())


def row_html(html: str, element_id: str) -> str:
    """The HTML of one table row, by its id."""
    match = re.search(rf'<tr[^>]* id="{re.escape(element_id)}".*?</tr>', html, re.DOTALL)
    assert match is not None, element_id
    return match.group(0)


def page_html(client: Client, url: str = SLA_URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def audit_count() -> int:
    return SlaSettingsChange.objects.count()
