"""The Django admin: SLA settings saved through the one service, read-only audit, lean lists."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import Pipeline, SlaSettingsChange, Stage, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.settings_app.pages.helpers import BY_PRIORITY, FormData, form_data, text_of

CHANGE_URL = "/admin/settings_app/slasettings/1/change/"


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Plain static files (pages use {% static %}; tests collect no manifest), fast hashing."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def configured(db) -> dict:
    return sla_settings_save(document=BY_PRIORITY, actor=None, via="command").document


def change_form(client: Client) -> FormData:
    response = client.get(CHANGE_URL)
    assert response.status_code == 200
    data = form_data(response.content.decode(), "slasettings_form")
    data["_save"] = ["Save"]
    return data


def errors_shown(html: str) -> str:
    """The text of every error list on an admin page."""
    return " ".join(
        " ".join(unescape(re.sub(r"<[^>]+>", " ", block)).split())
        for block in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.DOTALL)
    )


def test_an_admin_change_is_saved_by_the_service_with_one_audit_entry(
    admin_client_: Client, super_admin, configured: dict
) -> None:
    data = change_form(admin_client_)
    data["timezone"] = ["Europe/Oslo"]
    total = int(data["periods-TOTAL_FORMS"][0])  # add Saturday 10:00–14:00
    data.update(
        {
            f"periods-{total}-sla_settings": ["1"],
            f"periods-{total}-weekday": ["5"],
            f"periods-{total}-start": ["10:00"],
            f"periods-{total}-end": ["14:00"],
            "periods-TOTAL_FORMS": [str(total + 1)],
            "holidays-1-DELETE": ["on"],  # New Year's Eve goes
            "goals-0-close_minutes": ["300"],
        }
    )
    before = SlaSettingsChange.objects.count()

    response = admin_client_.post(CHANGE_URL, data)

    assert response.status_code == 302, errors_shown(response.content.decode())
    after = sla_settings_document()
    assert after["version"] == configured["version"] + 1
    assert after["timezone"] == "Europe/Oslo"
    assert after["working_hours"]["sat"] == [["10:00", "14:00"]]
    assert [h["name"] for h in after["holidays"]] == ["Christmas Eve"]
    assert after["goals"][0]["close_minutes"] == 300
    assert SlaSettingsChange.objects.count() == before + 1
    entry = SlaSettingsChange.objects.first()
    assert (entry.via, entry.apply_to, entry.actor, entry.version) == (
        "admin",
        "new",
        super_admin,
        after["version"],
    )
    fields = {change["field"] for change in entry.changes}
    assert fields == {
        "timezone",
        "working_hours.sat",
        "holidays",
        "goals[priority:urgent].close_minutes",
    }
    log = LogEntry.objects.get()
    assert "timezone" in log.get_change_message()
    page = admin_client_.get(response["Location"]).content.decode()
    assert f"Saved as version {after['version']}" in page


def test_an_unchanged_admin_save_keeps_the_document(admin_client_, configured: dict) -> None:
    """Nothing changed: no version, no audit entry, no admin log entry, and it says so."""
    entries = SlaSettingsChange.objects.count()
    response = admin_client_.post(CHANGE_URL, change_form(admin_client_), follow=True)
    assert response.redirect_chain == [(CHANGE_URL, 302)]
    assert "No changes" in response.content.decode()
    assert sla_settings_document() == configured
    assert SlaSettingsChange.objects.count() == entries
    assert not LogEntry.objects.exists()


def _set(**values: str):
    def change(data: FormData) -> None:
        for name, value in values.items():
            data[name.replace("__", "-")] = [value]

    return change


def _holidays_on_one_date(data: FormData) -> None:
    data["holidays-1-date"] = data["holidays-0-date"]


REFUSED = [
    ("inverted period", _set(periods__0__end="08:00"), "at or before it starts"),
    ("overlap", _set(periods__1__start="11:00"), "Overlaps 09:00–12:00 on Monday"),
    ("bad time", _set(periods__0__start="9am"), "is not a time"),
    ("unknown zone", _set(timezone="Mars/Olympus_Mons"), "is not a known time zone"),
    (
        "due soon too long",
        _set(goals__0__first_response_due_soon_minutes="15"),
        "Must be shorter than the time to first reply goal",
    ),
    ("zero minutes", _set(goals__0__close_minutes="0"), "Must be from 1 to 525,600"),
    ("unknown priority", _set(goals__1__value="critical"), "'critical' is not a priority"),
    ("duplicate value", _set(goals__1__value="urgent"), "'urgent' has goals already"),
    ("two holidays on one date", _holidays_on_one_date, "is already listed"),
    ("scope without property", _set(property=""), "Choose one of priority"),
    ("stale form", _set(base_version="1"), "changed since you opened this form"),
]


@pytest.mark.parametrize(
    ("change", "message"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_an_invalid_admin_post_saves_nothing(
    admin_client_: Client, configured: dict, change, message: str
) -> None:
    data = change_form(admin_client_)
    change(data)
    before = SlaSettingsChange.objects.count()

    response = admin_client_.post(CHANGE_URL, data)

    assert response.status_code == 200
    assert message in errors_shown(response.content.decode())
    assert sla_settings_document() == configured
    assert SlaSettingsChange.objects.count() == before
    assert not LogEntry.objects.exists()


def test_holidays_may_swap_dates(admin_client_: Client, configured: dict) -> None:
    data = change_form(admin_client_)
    data["holidays-0-date"], data["holidays-1-date"] = ["2026-12-31"], ["2026-12-24"]
    response = admin_client_.post(CHANGE_URL, data)
    assert response.status_code == 302, errors_shown(response.content.decode())
    holidays = {h["date"]: h["name"] for h in sla_settings_document()["holidays"]}
    assert holidays == {"2026-12-24": "New Year's Eve", "2026-12-31": "Christmas Eve"}


def test_the_singleton_cannot_be_added_or_deleted(admin_client_: Client, configured) -> None:
    assert admin_client_.get("/admin/settings_app/slasettings/add/").status_code == 403
    assert admin_client_.get("/admin/settings_app/slasettings/1/delete/").status_code == 403
    assert admin_client_.post("/admin/settings_app/slasettings/1/delete/").status_code == 403
    listing = admin_client_.get("/admin/settings_app/slasettings/").content.decode()
    assert 'href="/admin/settings_app/slasettings/add/"' not in listing


def test_the_audit_log_is_read_only_in_the_admin(admin_client_: Client, configured) -> None:
    entry = SlaSettingsChange.objects.get()
    base = "/admin/settings_app/slasettingschange/"
    assert admin_client_.get(f"{base}add/").status_code == 403
    assert admin_client_.get(f"{base}{entry.pk}/delete/").status_code == 403
    view = admin_client_.get(f"{base}{entry.pk}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert admin_client_.post(f"{base}{entry.pk}/change/", {"via": "api"}).status_code == 403
    listing = admin_client_.get(base).content.decode()
    assert f'href="{base}add/"' not in listing
    assert "action-checkbox" not in listing  # no delete action either


def test_the_audit_changelist_shows_who_how_and_which_version(admin_client_, super_admin, db):
    sla_settings_save(document={"timezone": "Europe/Oslo"}, actor=super_admin, via="api")
    html = admin_client_.get("/admin/settings_app/slasettingschange/").content.decode()
    table = text_of(html, "result_list")
    assert "boss" in table
    assert "API" in table
    assert "2" in table


def test_pipeline_stages_are_listed_in_order(admin_client_: Client, db) -> None:
    pipeline = Pipeline.objects.create(slug="billing", name="Billing", position=3)
    for position, name in ((2, "Done"), (0, "Inbox"), (1, "Waiting")):
        Stage.objects.create(
            pipeline=pipeline, slug=name.lower(), name=name, position=position, is_closed=False
        )
    html = admin_client_.get(f"/admin/settings_app/pipeline/{pipeline.pk}/change/").content
    data = form_data(html.decode(), "pipeline_form")
    assert [data[f"stages-{i}-name"][0] for i in range(3)] == ["Inbox", "Waiting", "Done"]


def test_a_team_is_added_with_members(admin_client_: Client, agent) -> None:
    data = form_data(
        admin_client_.get("/admin/settings_app/team/add/").content.decode(), "team_form"
    )
    data.update({"name": ["Billing"], "slug": ["billing"], "members": [str(agent.pk)]})
    assert admin_client_.post("/admin/settings_app/team/add/", data).status_code == 302
    assert list(Team.objects.get(slug="billing").members.all()) == [agent]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_changelists_run_the_same_queries_for_few_or_many_rows(admin_client_, super_admin, db):
    user_model = get_user_model()

    def add_rows(start: int, count: int) -> None:
        for number in range(start, start + count):
            team = Team.objects.create(name=f"Team {number}", slug=f"team-{number}")
            member = user_model.objects.create_user(f"member{number}", password="x")
            team.members.add(member, super_admin)
            pipeline = Pipeline.objects.create(slug=f"p{number}", name=f"P {number}")
            Stage.objects.create(pipeline=pipeline, slug="open", name="Open")
            Stage.objects.create(pipeline=pipeline, slug="done", name="Done", is_closed=True)
            zone = "Europe/Oslo" if number % 2 else "Europe/Stockholm"
            sla_settings_save(document={"timezone": zone}, actor=member, via="api")

    urls = [
        "/admin/settings_app/team/",
        "/admin/settings_app/pipeline/",
        "/admin/settings_app/slasettingschange/",
        "/admin/settings_app/slasettings/",
    ]
    add_rows(0, 2)
    few = {url: _queries(admin_client_, url) for url in urls}
    add_rows(2, 15)
    many = {url: _queries(admin_client_, url) for url in urls}
    assert many == few


def test_errors_are_shown_on_the_inline_row_they_belong_to(admin_client_, configured) -> None:
    data = change_form(admin_client_)
    data["periods-1-end"] = ["12:30"]  # Monday 13:00–12:30
    data["goals-2-close_due_soon_minutes"] = ["5000"]  # medium: longer than its 3-day goal
    html = admin_client_.post(CHANGE_URL, data).content.decode()
    period_rows = re.findall(
        r'<tr class="row-form-errors">(.*?)</tr>\s*<tr[^>]*id="periods-(\d+)"', html, re.S
    )
    assert [(index, "at or before it starts" in unescape(row)) for row, index in period_rows] == [
        ("1", True)
    ]
    goal_block = re.search(r'id="goals-2".*?</fieldset>', html, re.S)
    assert goal_block is not None
    assert "Must be shorter than the time to close goal" in unescape(goal_block.group(0))
