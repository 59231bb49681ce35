"""The SLA settings pages through their real URLs: permissions, rendering, saving, refusing.

POSTs are built the way a browser builds them: the page is fetched, its form's fields are read
from the HTML (checked boxes, selected options, no disabled fields, no row templates), and the
test changes only what a person would change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settings_app.models import SlaSettingsChange, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from settings_app.templatetags.sla_format import day_length_note, hours_summary
from tests.conftest import PASSWORD
from tickets.models import SlaRecompute
from tickets.services import ticket_create

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


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Plain static files (pages use {% static %}; tests collect no manifest), fast hashing.

    Both belong in tests/conftest.py for every test; see the hand-over notes.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def configured(db) -> dict:
    """The settings of the wireframe, saved through the service; returns the saved document."""
    return sla_settings_save(document=BY_PRIORITY, actor=None, via="command").document


# --- Reading the page's HTML --------------------------------------------------------------------


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


# --- Permissions ------------------------------------------------------------------------------


@pytest.fixture
def recompute(db) -> SlaRecompute:
    return SlaRecompute.objects.create(settings_version=1, tickets=10, done=4)


SETTINGS_URLS = [
    "/settings/",
    "/settings/sla/",
    "/settings/sla/audit/",
    "/settings/sla/hours-summary/",
    "/settings/sla/recomputes/{recompute}/",
]


@pytest.mark.parametrize("url", SETTINGS_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, recompute, url: str) -> None:
    path = url.format(recompute=recompute.pk)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(path)}"


@pytest.mark.parametrize("url", SETTINGS_URLS)
@pytest.mark.parametrize("who", ["customer_user", "agent"])
def test_signed_in_users_who_are_not_super_admins_get_403(
    request: pytest.FixtureRequest, recompute, url: str, who: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(who))
    assert client.get(url.format(recompute=recompute.pk)).status_code == 403


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/settings/", 302),
        ("/settings/sla/", 200),
        ("/settings/sla/audit/", 200),
        ("/settings/sla/hours-summary/", 200),
        ("/settings/sla/recomputes/{recompute}/", 200),
    ],
)
def test_super_admins_may_open_every_settings_page(
    admin_client_: Client, recompute, url: str, status: int
) -> None:
    response = admin_client_.get(url.format(recompute=recompute.pk))
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == SLA_URL


def test_agents_cannot_post_settings(agent_client: Client, configured: dict) -> None:
    response = agent_client.post(SLA_URL, {"version": configured["version"], "applies": "always"})
    assert response.status_code == 403
    assert sla_settings_document() == configured


def test_a_missing_recompute_is_404(admin_client_: Client) -> None:
    assert admin_client_.get("/settings/sla/recomputes/999999/").status_code == 404


# --- Showing the settings ---------------------------------------------------------------------


def test_the_page_shows_the_saved_settings(admin_client_: Client, configured: dict) -> None:
    html = page_html(admin_client_)
    data = form_data(html)
    assert data["version"] == [str(configured["version"])]
    assert data["applies"] == ["working_hours"]
    assert data["timezone"] == ["Europe/Stockholm"]
    assert data["pause_statuses"] == ["support/waiting-on-customer"]
    assert data["goals_enabled"] == ["on"]
    assert data["scope"] == ["property"]
    assert data["property"] == ["priority"]
    assert data["apply_to"] == ["new"]
    # Monday's two periods, then one for each of Tuesday to Friday.
    periods = [
        (data[f"period-{i}-day"][0], data[f"period-{i}-start"][0], data[f"period-{i}-end"][0])
        for i in range(int(data["period-TOTAL_FORMS"][0]))
    ]
    assert periods == [
        ("mon", "09:00", "12:00"),
        ("mon", "13:00", "17:00"),
        *[(day, "09:00", "17:00") for day in ("tue", "wed", "thu", "fri")],
    ]
    assert data["holiday-0-date"] == ["2026-12-24"]
    assert data["holiday-0-recurring"] == ["on"]
    assert "holiday-1-recurring" not in data
    assert text_of(html, "holiday-count") == "2"
    assert text_of(html, "hours-summary") == (
        "Mon 09:00–12:00, 13:00–17:00 · Tue–Fri 09:00–17:00 · Sat, Sun off"
    )
    assert "with 09:00–17:00 hours, that is 3 working days" in text_of(html, "day-note")
    # Priorities from urgent to low; durations in the largest unit that divides them.
    values = [data[f"goals-priority-{i}-value"][0] for i in range(4)]
    assert values == ["urgent", "high", "medium", "low"]
    assert data["goals-priority-0-first_response_minutes_number"] == ["15"]
    assert data["goals-priority-0-first_response_minutes_unit"] == ["minutes"]
    assert data["goals-priority-0-close_minutes_number"] == ["4"]
    assert data["goals-priority-0-close_minutes_unit"] == ["hours"]
    assert data["goals-priority-2-close_minutes_number"] == ["3"]
    assert data["goals-priority-2-close_minutes_unit"] == ["days"]
    assert "goals-priority-3-enabled" not in data  # low is off
    assert "15 min 1 h 4 h 5 min / 10 min / 1 h" in text_of(html, "goals-priority-0-row")
    urgent, low = row_html(html, "goals-priority-0-row"), row_html(html, "goals-priority-3-row")
    assert 'class="no-sla text-body-secondary fst-italic d-none"' in urgent
    assert 'class="no-sla text-body-secondary fst-italic"' in low  # "— no SLA —" shows
    assert 'class="summary d-none"' in low
    assert "Support › Waiting on customer" in text_of(html, "pause-card")
    assert "Support › Closed" not in text_of(html, "pause-card")  # closed stages cannot pause


def test_every_time_zone_is_offered(admin_client_: Client, db) -> None:
    html = page_html(admin_client_)
    assert '<option value="Europe/Stockholm"' in html
    assert '<option value="America/Argentina/Buenos_Aires"' in html


def test_teams_and_pipelines_are_listed_from_the_database(admin_client_: Client, db) -> None:
    Team.objects.create(name="Billing", slug="billing")
    Team.objects.create(name="IT", slug="it")
    data = form_data(page_html(admin_client_))
    assert [data["goals-team-0-value"][0], data["goals-team-1-value"][0]] == ["billing", "it"]
    assert data["goals-pipeline-0-value"] == ["support"]
    assert [data[f"goals-source-{i}-value"][0] for i in range(5)] == [
        "email",
        "chat",
        "form",
        "phone",
        "api",
    ]


def test_the_page_runs_the_same_queries_for_few_or_many_teams(admin_client_: Client, db) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page_html(admin_client_)
        return len(captured)

    Team.objects.create(name="Team 0", slug="team-0")
    few = queries()
    Team.objects.bulk_create(Team(name=f"Team {i}", slug=f"team-{i}") for i in range(1, 30))
    assert queries() == few


# --- Saving -------------------------------------------------------------------------------------


def test_posting_the_page_unchanged_keeps_every_value(admin_client_: Client, configured) -> None:
    response = admin_client_.post(SLA_URL, form_data(page_html(admin_client_)))
    assert response.status_code == 302
    after = sla_settings_document()
    assert after == {**configured, "version": configured["version"] + 1}
    entry = SlaSettingsChange.objects.first()
    assert entry.changes == []  # the page rebuilt the same document


def test_a_valid_save_changes_the_settings_and_leaves_one_audit_entry(
    admin_client_: Client, super_admin, configured: dict
) -> None:
    data = form_data(page_html(admin_client_))
    data["timezone"] = ["Europe/Oslo"]
    data["period-1-start"] = ["13:30"]  # Monday afternoon
    data["goals-priority-0-close_minutes_number"] = ["5"]
    data["goals-priority-0-close_minutes_unit"] = ["hours"]
    data["goals-priority-3-enabled"] = ["on"]  # low on, with a close goal of 3 days
    data["goals-priority-3-close_minutes_number"] = ["3"]
    data["goals-priority-3-close_minutes_unit"] = ["days"]
    data["pause_statuses"] = ["support/waiting-on-customer", "support/waiting-on-us"]
    before = audit_count()

    response = admin_client_.post(SLA_URL, data, follow=True)

    assert response.redirect_chain == [(SLA_URL, 302)]
    version = configured["version"] + 1
    assert f"SLA settings saved (version {version})." in response.content.decode()
    after = sla_settings_document()
    assert after["version"] == version
    assert after["timezone"] == "Europe/Oslo"
    assert after["working_hours"]["mon"] == [["09:00", "12:00"], ["13:30", "17:00"]]
    assert after["goals"][0] == goal("urgent", 15, 5, 60, 10, 300, 60)
    assert after["goals"][3] == goal("low", None, None, None, None, 4320, None)
    assert after["pause_statuses"] == ["support/waiting-on-us", "support/waiting-on-customer"]
    assert audit_count() == before + 1
    entry = SlaSettingsChange.objects.first()
    assert (entry.actor, entry.actor_username, entry.via, entry.version, entry.apply_to) == (
        super_admin,
        "boss",
        "page",
        version,
        "new",
    )
    changed = {change["field"]: (change["before"], change["after"]) for change in entry.changes}
    assert changed["timezone"] == ("Europe/Stockholm", "Europe/Oslo")
    assert changed["goals[urgent].close_minutes"] == (240, 300)
    assert changed["working_hours.mon"] == ("09:00–12:00, 13:00–17:00", "09:00–12:00, 13:30–17:00")


def test_goals_for_all_tickets_and_24_7(admin_client_: Client, configured: dict) -> None:
    data = form_data(page_html(admin_client_))
    data.update(
        {
            "applies": ["always"],
            "scope": ["all"],
            "goal-all-first_response_minutes_number": ["1"],
            "goal-all-first_response_minutes_unit": ["hours"],
            "goal-all-first_response_due_soon_minutes_number": ["15"],
            "goal-all-first_response_due_soon_minutes_unit": ["minutes"],
            "goal-all-close_minutes_number": ["2"],
            "goal-all-close_minutes_unit": ["days"],
        }
    )
    assert admin_client_.post(SLA_URL, data).status_code == 302
    after = sla_settings_document()
    assert (after["applies"], after["scope"], after["property"]) == ("always", "all", None)
    assert after["goals"] == [goal(None, 60, 15, None, None, 2880, None)]
    # Reloaded, the all-tickets rows show what was saved, in the largest exact unit.
    data = form_data(page_html(admin_client_))
    assert data["goal-all-close_minutes_number"] == ["2"]
    assert data["goal-all-close_minutes_unit"] == ["days"]
    assert data["goal-all-first_response_due_soon_minutes_number"] == ["15"]


def test_periods_may_end_at_24_00_for_an_overnight_shift(admin_client_: Client, configured) -> None:
    data = form_data(page_html(admin_client_))
    total = int(data["period-TOTAL_FORMS"][0])
    data.update(
        {
            f"period-{total}-day": ["fri"],
            f"period-{total}-start": ["22:00"],
            f"period-{total}-end": ["24:00"],
            f"period-{total + 1}-day": ["sat"],
            f"period-{total + 1}-start": ["0:00"],  # a single-digit hour is accepted on the page
            f"period-{total + 1}-end": ["06:00"],
            "period-TOTAL_FORMS": [str(total + 2)],
        }
    )
    assert admin_client_.post(SLA_URL, data).status_code == 302
    hours = sla_settings_document()["working_hours"]
    assert hours["fri"] == [["09:00", "17:00"], ["22:00", "24:00"]]
    assert hours["sat"] == [["00:00", "06:00"]]


def test_removed_rows_leave_gaps_that_are_ignored(admin_client_: Client, configured) -> None:
    data = form_data(page_html(admin_client_))
    for name in ("period-0-day", "period-0-start", "period-0-end", "holiday-1-date"):
        del data[name]  # what the trash button does: the row's inputs are gone
    del data["holiday-1-name"]
    assert admin_client_.post(SLA_URL, data).status_code == 302
    after = sla_settings_document()
    assert after["working_hours"]["mon"] == [["13:00", "17:00"]]
    assert [h["date"] for h in after["holidays"]] == ["2026-12-24"]


def test_property_rows_of_other_properties_are_not_needed(admin_client_: Client, configured):
    """The page's script leaves the unused properties' rows out of the POST."""
    data = form_data(page_html(admin_client_))
    for name in list(data):
        if name.startswith(("goals-team-", "goals-source-", "goals-pipeline-", "goal-all-")):
            del data[name]
    assert admin_client_.post(SLA_URL, data).status_code == 302
    assert sla_settings_document()["goals"] == configured["goals"]


# --- Refusing bad input -------------------------------------------------------------------------


def _set(**values: str) -> Callable[[FormData], None]:
    def change(data: FormData) -> None:
        for name, value in values.items():
            data[name.replace("__", "-")] = [value]

    return change


def _add_pause(key: str) -> Callable[[FormData], None]:
    def change(data: FormData) -> None:
        data["pause_statuses"] = [*data.get("pause_statuses", []), key]

    return change


def _remove_all_periods(data: FormData) -> None:
    for name in list(data):
        if name.startswith("period-") and name[7].isdigit():
            del data[name]


def _duplicate_holiday(data: FormData) -> None:
    data["holiday-1-date"] = data["holiday-0-date"]


def _urgent(field: str, number: str, unit: str = "minutes") -> Callable[[FormData], None]:
    return _set(
        **{
            f"goals-priority-0-{field}_number": number,
            f"goals-priority-0-{field}_unit": unit,
        }
    )


REFUSED = [
    # (id, change, element that holds the message, message)
    ("inverted period", _set(period__0__end="08:00"), "period-0-row", "at or before it starts"),
    (
        "overlapping periods",
        _set(period__1__start="11:00"),
        "period-1-row",
        "Overlaps 09:00–12:00 on Monday",
    ),
    ("24:00 as a start", _set(period__2__start="24:00"), "period-2-row", "is not a time"),
    ("hour out of range", _set(period__2__end="25:00"), "period-2-row", "is not a time"),
    ("not a time", _set(period__2__start="nine"), "period-2-row", "is not a time"),
    ("end missing", _set(period__3__end=""), "period-3-row", "Enter an end time"),
    ("crafted day", _set(period__3__day="funday"), "form-errors", "Unknown day"),
    ("no periods left", _remove_all_periods, "hours-errors", "Add at least one working period"),
    (
        "unknown time zone",
        _set(timezone="Mars/Olympus_Mons"),
        "timezone-errors",
        "is not a known time zone",
    ),
    (
        "due soon not shorter than its goal",
        _urgent("first_response_due_soon_minutes", "15"),
        "goals-priority-0-first_response",
        "Must be shorter than the time to first response goal",
    ),
    (
        "due soon longer than its goal",
        _urgent("close_due_soon_minutes", "1", "days"),
        "goals-priority-0-close",
        "Must be shorter than the time to close goal",
    ),
    (
        "due soon without a goal",
        _set(goals__priority__3__close_due_soon_minutes_number="5"),
        "goals-priority-3-close",
        "Set a time to close goal first",
    ),
    ("negative", _urgent("close_minutes", "-5"), "goals-priority-0-close", "Must be from 1 to"),
    ("zero", _urgent("close_minutes", "0", "hours"), "goals-priority-0-close", "Must be from 1"),
    (
        "more than a year",
        _urgent("close_minutes", "366", "days"),
        "goals-priority-0-close",
        "525,600 minutes",
    ),
    ("a word", _urgent("close_minutes", "soon"), "goals-priority-0-close", "Enter a whole number"),
    ("a fraction", _urgent("close_minutes", "1.5", "hours"), "goals-priority-0-close", "90 min"),
    (
        "no unit",
        _set(goals__priority__0__close_minutes_unit=""),
        "goals-priority-0-close",
        "Choose minutes, hours or days",
    ),
    (
        "unknown unit",
        _set(goals__priority__0__close_minutes_unit="weeks"),
        "goals-priority-0-close",
        "Choose minutes, hours or days",
    ),
    (
        "unknown priority value (crafted)",
        _set(goals__priority__3__value="critical"),
        "goals-priority-3-row",
        "'critical' is not a priority",
    ),
    (
        "unknown property (crafted)",
        _set(property="colour"),
        "property-errors",
        "Choose one of priority, team, source, pipeline",
    ),
    ("not a stage", _add_pause("support/nowhere"), "pause-card", "is not a stage"),
    ("a closed stage", _add_pause("support/closed"), "pause-card", "is a closed stage"),
    ("holiday date", _set(holiday__0__date="2026-02-30"), "holiday-0-row", "YYYY-MM-DD"),
    ("holiday twice", _duplicate_holiday, "holiday-1-row", "is already listed"),
    (
        "holiday without a date",
        _set(holiday__1__date=""),
        "holiday-1-row",
        "Enter the holiday's date",
    ),
    (
        "apply to (crafted)",
        _set(apply_to="everyone"),
        "form-errors",
        "Choose new tickets only, or new and open tickets",
    ),
]


@pytest.mark.parametrize(
    ("change", "element_id", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_bad_input_is_refused_next_to_its_field(
    admin_client_: Client, configured: dict, change, element_id: str, message: str
) -> None:
    data = form_data(page_html(admin_client_))
    change(data)
    before = audit_count()

    response = admin_client_.post(SLA_URL, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved — fix the marked fields." in text_of(html, "form-errors")
    assert message in text_of(html, element_id)
    assert sla_settings_document() == configured
    assert audit_count() == before
    # What the person typed is shown again, not the saved values.
    assert form_data(html)["version"] == [str(configured["version"])]
    shown = form_data(html)
    for name, values in data.items():
        # Selects can only show their own options; the token is rotated per response.
        skip = name.endswith(("_unit", "property", "timezone", "-day", "pause_statuses"))
        skip = skip or name.startswith("csrf")
        if name in shown and not skip:
            assert shown[name] == values, name


def test_a_refused_row_is_marked_in_the_by_property_table(admin_client_, configured) -> None:
    data = form_data(page_html(admin_client_))
    _urgent("first_response_due_soon_minutes", "20")(data)
    html = admin_client_.post(SLA_URL, data).content.decode()
    assert "table-danger" in row_html(html, "goals-priority-0-row").split(">", 1)[0]
    assert "Time to first reply, due soon: Must be shorter" in text_of(html, "goals-priority-0-row")
    assert 'aria-invalid="true"' in html


def test_a_team_value_that_does_not_exist_is_refused(admin_client_: Client, configured) -> None:
    Team.objects.create(name="Billing", slug="billing")
    data = form_data(page_html(admin_client_))
    data.update({"scope": ["property"], "property": ["team"], "goals-team-0-value": ["ghosts"]})
    response = admin_client_.post(SLA_URL, data)
    assert "'ghosts' is not a team" in text_of(response.content.decode(), "goals-team-0-row")
    assert sla_settings_document() == configured


def test_a_stale_page_gets_the_version_conflict_message(admin_client_, configured) -> None:
    data = form_data(page_html(admin_client_))  # opened at version N
    sla_settings_save(document={**configured, "timezone": "Asia/Tokyo"}, actor=None, via="api")
    saved = sla_settings_document()
    data["timezone"] = ["Europe/Oslo"]
    before = audit_count()

    response = admin_client_.post(SLA_URL, data)

    assert response.status_code == 200
    message = text_of(response.content.decode(), "conflict-message")
    assert "changed since you opened this page" in message
    assert f"version {configured['version']}" in message
    assert f"version {saved['version']} now" in message
    # Not a field error: the alert says what happened instead of "fix the marked fields".
    alert = text_of(response.content.decode(), "form-errors")
    assert "changed by someone else" in alert
    assert "fix the marked fields" not in alert
    assert sla_settings_document() == saved  # the other admin's change stands
    assert audit_count() == before


def test_csrf_is_enforced(super_admin, configured: dict) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(super_admin)
    data = form_data(page_html(client))
    del data["csrfmiddlewaretoken"]
    assert client.post(SLA_URL, data).status_code == 403
    assert sla_settings_document() == configured


GARBAGE = [
    {"version": ["x"]},
    {"version": ["1"], "applies": ["sometimes"], "scope": ["sideways"]},
    {"period-TOTAL_FORMS": ["abc"], "period-INITIAL_FORMS": ["0"]},
    {"period-TOTAL_FORMS": ["100000000"], "period-INITIAL_FORMS": ["0"]},
    {"goals-priority-TOTAL_FORMS": ["x"], "scope": ["property"], "property": ["priority"]},
    {"goals-priority-TOTAL_FORMS": ["99999"], "scope": ["property"], "property": ["priority"]},
    {"goal-all-close_minutes_number": ["9" * 5000], "scope": ["all"]},
    {"holiday-0-date": ["0000-00-00"], "holiday-TOTAL_FORMS": ["1"]},
]


@pytest.mark.parametrize("changes", GARBAGE)
def test_garbage_posts_are_refused_without_an_error_page(
    admin_client_: Client, configured: dict, changes: FormData
) -> None:
    data = form_data(page_html(admin_client_))
    data.update(changes)
    response = admin_client_.post(SLA_URL, data)
    assert response.status_code == 200
    assert sla_settings_document() == configured


def test_an_empty_post_is_refused(admin_client_: Client, configured: dict) -> None:
    response = admin_client_.post(SLA_URL, {})
    assert response.status_code == 200
    assert "reload it" in text_of(response.content.decode(), "form-errors")
    assert sla_settings_document() == configured


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.dictionaries(
        keys=st.sampled_from(
            [
                "version",
                "applies",
                "timezone",
                "scope",
                "property",
                "apply_to",
                "pause_statuses",
                "period-TOTAL_FORMS",
                "period-0-start",
                "period-0-end",
                "period-0-day",
                "holiday-0-date",
                "holiday-TOTAL_FORMS",
                "goals-priority-TOTAL_FORMS",
                "goals-priority-0-value",
                "goals-priority-0-enabled",
                "goals-priority-0-close_minutes_number",
                "goals-priority-0-close_minutes_unit",
                "goals-priority-0-close_due_soon_minutes_number",
                "goal-all-close_minutes_number",
            ]
        ),
        values=st.lists(st.text(max_size=12), min_size=0, max_size=3),
        max_size=6,
    )
)
def test_no_post_ever_fails_or_saves_half(admin_client_: Client, configured, changes) -> None:
    data = form_data(page_html(admin_client_))
    data.update(changes)
    before = sla_settings_document()
    response = admin_client_.post(SLA_URL, data)
    assert response.status_code in (200, 302)
    after = sla_settings_document()
    if response.status_code == 200:
        assert after == before
    else:
        assert after["version"] == before["version"] + 1


# --- Applying to open tickets ------------------------------------------------------------------


def test_new_and_open_tickets_queues_a_recompute_with_progress(
    admin_client_: Client, configured: dict
) -> None:
    now = timezone.now()
    for number in range(3):
        ticket_create(
            subject=f"Ticket {number}", body="Hi", requester_email="c@example.com", now=now
        )
    html = page_html(admin_client_)
    assert "To new tickets and the 3 open tickets" in text_of(html, "apply-modal")
    data = form_data(html)
    data["apply_to"] = ["new_and_open"]
    data["timezone"] = ["Europe/Helsinki"]

    response = admin_client_.post(SLA_URL, data)

    recompute = SlaRecompute.objects.get()
    assert recompute.settings_version == configured["version"] + 1
    assert recompute.tickets == 3
    assert response["Location"] == f"{SLA_URL}?recompute={recompute.pk}"
    assert SlaSettingsChange.objects.first().apply_to == "new_and_open"
    page = admin_client_.get(response["Location"]).content.decode()
    assert "Recomputing 3 open tickets…" in page  # the success message
    progress = text_of(page, "recompute-progress")
    if recompute.state in ("queued", "running"):
        assert f"Recomputing 3 open tickets… {recompute.done * 100 // 3} %" in progress

    # The fragment polls itself every 2 s while the work runs, and stops when it is done.
    SlaRecompute.objects.filter(pk=recompute.pk).update(state="running", done=2)
    fragment = admin_client_.get(f"/settings/sla/recomputes/{recompute.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert "Recomputing 3 open tickets… 66 %" in text_of(fragment, "recompute-progress")
    SlaRecompute.objects.filter(pk=recompute.pk).update(state="done", done=3)
    fragment = admin_client_.get(f"/settings/sla/recomputes/{recompute.pk}/").content.decode()
    assert "hx-trigger" not in fragment
    assert "Recomputed 3 open tickets" in text_of(fragment, "recompute-progress")


def test_new_tickets_only_queues_nothing(admin_client_: Client, configured: dict) -> None:
    ticket_create(subject="Open", body="Hi", requester_email="c@example.com", now=timezone.now())
    data = form_data(page_html(admin_client_))
    assert data["apply_to"] == ["new"]  # the default, also without JavaScript
    assert admin_client_.post(SLA_URL, data)["Location"] == SLA_URL
    assert not SlaRecompute.objects.exists()


def test_a_running_recompute_is_shown_to_whoever_opens_the_page(admin_client_, db) -> None:
    SlaRecompute.objects.create(settings_version=2, tickets=1284, done=796, state="running")
    progress = text_of(page_html(admin_client_), "recompute-progress")
    assert "Recomputing 1,284 open tickets… 61 %" in progress


# --- The hours summary fragment and its helpers -------------------------------------------------


def test_the_hours_summary_fragment_describes_the_hours_being_edited(admin_client_, db) -> None:
    query = {
        "applies": "working_hours",
        "period-TOTAL_FORMS": "3",
        "period-INITIAL_FORMS": "0",
        "period-0-day": "mon",
        "period-0-start": "8:00",
        "period-0-end": "16:00",
        "period-1-day": "tue",
        "period-1-start": "08:00",
        "period-1-end": "16:00",
        # period-2 was removed in the dialog: a gap
    }
    html = admin_client_.get("/settings/sla/hours-summary/", query).content.decode()
    assert text_of(html, "hours-summary") == "Mon, Tue 08:00–16:00 · Wed–Sun off"
    assert "with 08:00–16:00 hours, that is 3 working days" in text_of(html, "day-note")
    assert 'hx-swap-oob="true"' in html


@pytest.mark.parametrize(
    ("hours", "summary"),
    [
        (WEEKDAY_HOURS, "Mon 09:00–12:00, 13:00–17:00 · Tue–Fri 09:00–17:00 · Sat, Sun off"),
        ({}, "No working hours yet"),
        (
            {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            ("Mon–Sun 00:00–24:00"),
        ),
        ({"wed": [["10:00", "14:00"]]}, "Mon, Tue off · Wed 10:00–14:00 · Thu–Sun off"),
    ],
)
def test_hours_summary(hours: dict, summary: str) -> None:
    assert hours_summary(hours) == summary


@pytest.mark.parametrize(
    ("applies", "hours", "note"),
    [
        ("always", WEEKDAY_HOURS, "with 24/7, that is one calendar day"),
        ("working_hours", WEEKDAY_HOURS, "with 09:00–17:00 hours, that is 3 working days"),
        ("working_hours", {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}, "8-hour"),
        ("working_hours", {"mon": [["09:00", "16:00"]]}, "about 3.4 working days"),
        ("working_hours", {"mon": [["00:00", "24:00"]]}, "that is 1 working day"),
        ("working_hours", {}, "A day is 24 hours of counted time."),
    ],
)
def test_day_length_note(applies: str, hours: dict, note: str) -> None:
    assert note in day_length_note(applies, hours)


# --- The audit log ------------------------------------------------------------------------------


def test_the_audit_log_lists_changes_newest_first(admin_client_: Client, super_admin, db) -> None:
    sla_settings_save(document={"timezone": "Europe/Stockholm"}, actor=None, via="command")
    sla_settings_save(
        document={
            "timezone": "Europe/Oslo",
            "goals_enabled": True,
            "goals": [goal(None, 60, 15)],
        },
        actor=super_admin,
        via="api",
        apply_to="new",
    )
    html = page_html(admin_client_, "/settings/sla/audit/")
    rows = re.findall(r'<tr class="audit-row" id="change-(\d+)"', html)
    newest, oldest = SlaSettingsChange.objects.order_by("-id")[:2]
    assert rows == [str(newest.pk), str(oldest.pk)]
    newest_text = text_of(html, f"change-{newest.pk}")
    assert "boss" in newest_text
    assert "API" in newest_text
    assert "v3" in newest_text
    assert "New tickets only" in newest_text
    assert "Time zone: Europe/Stockholm to Europe/Oslo" in newest_text.replace("  ", " ")
    assert "Goals: off to on" in newest_text
    assert "Goals for All tickets: time to first reply: — to 1 hour" in newest_text
    oldest_text = text_of(html, f"change-{oldest.pk}")
    assert "system" in oldest_text
    assert "Command" in oldest_text
    assert "Time zone: UTC to Europe/Stockholm" in oldest_text
    assert re.search(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d", oldest_text)


def test_the_audit_log_pages_by_25_with_bounded_queries(admin_client_: Client, db) -> None:
    def save(count: int) -> None:
        for number in range(count):
            zone = "Europe/Stockholm" if number % 2 else "Europe/Oslo"
            sla_settings_save(document={"timezone": zone}, actor=None, via="command")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            page_html(admin_client_, url)
        return len(captured)

    save(3)
    few = queries("/settings/sla/audit/")
    save(27)
    assert queries("/settings/sla/audit/") == few
    first = page_html(admin_client_, "/settings/sla/audit/")
    second = page_html(admin_client_, "/settings/sla/audit/?page=2")
    assert first.count('class="audit-row"') == 25
    assert second.count('class="audit-row"') == 5
    assert "Page 2 of 2" in second
    assert page_html(admin_client_, "/settings/sla/audit/?page=nonsense").count("audit-row") == 25


def test_sign_in_then_open_the_settings(client: Client, super_admin) -> None:
    response = client.post(
        "/accounts/login/",
        {"username": "boss", "password": PASSWORD, "next": SLA_URL},
    )
    assert response["Location"] == SLA_URL
    assert client.get(SLA_URL).status_code == 200


def test_last_change_is_shown_next_to_save(admin_client_: Client, configured: dict) -> None:
    html = page_html(admin_client_)
    info = text_of(html, "version-info")
    assert info.startswith(f"Version {configured['version']} · saved")
    assert info.endswith("by system")
