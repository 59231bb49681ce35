"""The Django admin as a super admin sees it: the SLA settings edited with the settings page's
forms and saved through the one service (new tickets only), errors next to their fields, nothing
saved while anything is wrong, stale edits refused; a read-only audit log; lean lists."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from settings_app import services
from settings_app.models import Pipeline, SlaSettingsChange, Stage, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.settings_app.pages.helpers import BY_PRIORITY, FormData, form_data, text_of
from tickets.models import SlaRecompute
from tickets.services import ticket_create

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


def near(html: str, element_id: str) -> str:
    """The text of the element with this id (a row, a field's line), errors included."""
    return text_of(html, element_id)


def test_an_admin_change_is_saved_by_the_service_for_new_tickets_only(
    admin_client_: Client, super_admin, configured: dict
) -> None:
    now = timezone.now()
    ticket_create(subject="Open", body="Hi", requester_email="c@example.com", now=now)
    data = change_form(admin_client_)
    data["timezone"] = ["Europe/Oslo"]
    saturday = next(k[:-4] for k, v in data.items() if k.endswith("-day") and v == ["sat"])
    data[f"{saturday}-start"], data[f"{saturday}-end"] = ["10:00"], ["14:00"]  # a blank row
    data["holiday-1-date"], data["holiday-1-name"] = [""], [""]  # New Year's Eve cleared
    data["holiday-1-recurring"] = []
    data["goals-priority-0-close_minutes_number"] = ["300"]
    data["goals-priority-0-close_minutes_unit"] = ["minutes"]
    data["apply_to"] = ["new_and_open"]  # crafted: the admin applies to new tickets only
    before = SlaSettingsChange.objects.count()

    response = admin_client_.post(CHANGE_URL, data)

    assert response.status_code == 302, near(response.content.decode(), "form-errors")
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
    assert {change["field"] for change in entry.changes} == {
        "timezone",
        "working_hours.sat",
        "holidays",
        "goals[priority:urgent].close_minutes",
    }
    assert not SlaRecompute.objects.exists()  # open tickets keep their clocks
    log = LogEntry.objects.get()
    assert "timezone" in log.get_change_message()
    assert "goals[priority:urgent].close_minutes" in log.get_change_message()
    page = admin_client_.get(response["Location"]).content.decode()
    assert f"Saved as version {after['version']}; the change applies to new tickets." in page
    history = admin_client_.get(f"{CHANGE_URL[: -len('change/')]}history/").content.decode()
    assert "timezone" in history


def test_save_and_continue_comes_back_to_the_form(admin_client_: Client, configured) -> None:
    data = change_form(admin_client_)
    del data["_save"]
    data["_continue"] = ["Save and continue editing"]
    data["timezone"] = ["Europe/Helsinki"]
    response = admin_client_.post(CHANGE_URL, data, follow=True)
    assert response.redirect_chain == [(CHANGE_URL, 302)]
    html = response.content.decode()
    assert "Saved as version" in html
    assert form_data(html, "slasettings_form")["timezone"] == ["Europe/Helsinki"]


def test_an_unchanged_admin_save_keeps_the_document(admin_client_, configured: dict) -> None:
    """Nothing changed: no version, no audit entry, no admin log entry, and it says so."""
    entries = SlaSettingsChange.objects.count()
    response = admin_client_.post(CHANGE_URL, change_form(admin_client_), follow=True)
    assert response.redirect_chain == [("/admin/settings_app/slasettings/", 302)]
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
    data["holiday-1-date"] = data["holiday-0-date"]


# (case, change, element the message is shown in, message)
REFUSED = [
    ("inverted period", _set(period__0__end="08:00"), "period-0-row", "at or before it starts"),
    (
        "overlap",
        _set(period__1__start="11:00"),
        "period-1-row",
        "Overlaps 09:00–12:00 on Monday",
    ),
    ("bad time", _set(period__0__start="9am"), "period-0-row", "is not a time"),
    (
        "unknown zone",
        _set(timezone="Mars/Olympus_Mons"),
        "when-fields",
        "is not a known time zone",
    ),
    (
        "due soon too long",
        _set(
            goals__priority__0__first_response_due_soon_minutes_number="15",
            goals__priority__0__first_response_due_soon_minutes_unit="minutes",
        ),
        "goals-priority-0-row",
        "Must be shorter than the time to first reply goal",
    ),
    (
        "zero minutes",
        _set(goals__priority__0__close_minutes_number="0"),
        "goals-priority-0-row",
        "Must be from 1 to 525,600",
    ),
    ("two holidays on one date", _holidays_on_one_date, "holiday-1-row", "is already listed"),
    (
        "scope without property",
        _set(property=""),
        "goal-fields",
        "Choose the ticket property the goals depend on",
    ),
    (
        "stale form",
        _set(version="1"),
        "form-errors",
        "The SLA settings changed since you opened this page",
    ),
]


@pytest.mark.parametrize(
    ("change", "element", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_an_invalid_admin_post_shows_why_next_to_the_field_and_saves_nothing(
    admin_client_: Client, configured: dict, change, element: str, message: str
) -> None:
    data = change_form(admin_client_)
    change(data)
    before = SlaSettingsChange.objects.count()

    response = admin_client_.post(CHANGE_URL, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert message in near(html, element)
    assert "Nothing was saved" in near(html, "form-errors")
    assert sla_settings_document() == configured
    assert SlaSettingsChange.objects.count() == before
    assert not LogEntry.objects.exists()
    # What was typed is still there to fix (a zone not in the list cannot stay selected).
    shown = form_data(html, "slasettings_form")
    typed = {k: v for k, v in data.items() if k not in ("_save", "csrfmiddlewaretoken", "timezone")}
    assert {k: shown.get(k) for k in typed} == typed


def test_an_edit_made_meanwhile_is_not_overwritten(admin_client_, configured: dict) -> None:
    data = change_form(admin_client_)
    sla_settings_save(document={"timezone": "Europe/London"}, actor=None, via="api")
    data["timezone"] = ["Europe/Oslo"]

    response = admin_client_.post(CHANGE_URL, data)

    assert response.status_code == 200
    shown = near(response.content.decode(), "form-errors")
    assert "changed by someone else" in shown
    version = configured["version"]
    assert f"you started from version {version}, they are at version {version + 1}" in shown
    # Saving the shown form again is refused again: only a reload shows the current settings.
    again = form_data(response.content.decode(), "slasettings_form")
    again["_save"] = ["Save"]
    assert "changed by someone else" in near(
        admin_client_.post(CHANGE_URL, again).content.decode(), "form-errors"
    )
    assert sla_settings_document()["timezone"] == "Europe/London"
    assert SlaSettingsChange.objects.filter(via="admin").count() == 0


def test_a_database_failure_mid_save_keeps_nothing(admin_client_, configured, monkeypatch):
    """The holidays fail after the periods were rewritten: the periods are rolled back too."""
    data = change_form(admin_client_)
    data["period-0-start"] = ["08:00"]
    data["holiday-0-name"] = ["Julafton"]

    def fail(*args, **kwargs):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(services.Holiday.objects, "bulk_create", fail)
    response = admin_client_.post(CHANGE_URL, data)

    assert response.status_code == 503
    assert "nothing was saved" in near(response.content.decode(), "save-failed")
    assert sla_settings_document() == configured
    assert not LogEntry.objects.exists()


def test_holidays_may_swap_dates(admin_client_: Client, configured: dict) -> None:
    data = change_form(admin_client_)
    data["holiday-0-date"], data["holiday-1-date"] = ["2026-12-31"], ["2026-12-24"]
    response = admin_client_.post(CHANGE_URL, data)
    assert response.status_code == 302, near(response.content.decode(), "form-errors")
    holidays = {h["date"]: h["name"] for h in sla_settings_document()["holidays"]}
    assert holidays == {"2026-12-24": "New Year's Eve", "2026-12-31": "Christmas Eve"}


def test_support_staff_and_agents_cannot_open_or_post_the_settings(
    client: Client, agent, configured: dict
) -> None:
    """Support staff holding every model permission are refused; an agent who is not staff is
    sent to the admin's sign-in."""
    agent.user_permissions.set(Permission.objects.all())
    client.force_login(agent)
    assert client.get(CHANGE_URL).status_code == 403
    assert client.post(CHANGE_URL, {"timezone": ["UTC"]}).status_code == 403
    agent.is_staff = False
    agent.save()
    assert client.get(CHANGE_URL).status_code == 302
    assert client.post(CHANGE_URL, {"timezone": ["UTC"]}).status_code == 302
    assert sla_settings_document() == configured


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
