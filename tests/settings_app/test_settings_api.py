"""``GET``/``PUT /api/sla/settings/`` and ``GET /api/sla/recomputes/<id>/`` through real URLs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from settings_app.models import Pipeline, SlaSettingsChange, Stage, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tickets.api_auth.models import ApiToken, api_key_hash
from tickets.models import SlaRecompute
from tickets.services import ticket_create

URL = "/api/sla/settings/"
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


ALL_TICKETS = {
    "applies": "working_hours",
    "timezone": "Europe/Stockholm",
    "working_hours": {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "tue": [["09:00", "17:00"]],
        "fri": [["22:00", "24:00"]],
        "sat": [["00:00", "06:00"]],
    },
    "holidays": [{"date": "2026-12-24", "name": "Christmas Eve", "recurring": True}],
    "pause_statuses": ["support/waiting-on-customer"],
    "goals_enabled": True,
    "scope": "all",
    "property": None,
    "goals": [goal(None, 60, 15, 240, 30, 2880, 240)],
}


def put(client: Client, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.put(URL, data, content_type="application/json", headers=headers)


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
def saved(db) -> dict:
    return sla_settings_save(document=ALL_TICKETS, actor=None, via="command").document


@pytest.fixture
def token(super_admin) -> str:
    return ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key()).key


def test_get_returns_the_whole_document(admin_client_: Client, saved: dict) -> None:
    response = admin_client_.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "version",
        "applies",
        "timezone",
        "working_hours",
        "holidays",
        "team_schedules",
        "pause_statuses",
        "goals_enabled",
        "scope",
        "property",
        "goals",
        "goals_by_scope",
    }
    assert body["team_schedules"] == []  # every team counts in the default schedule
    assert isinstance(body["version"], int) and body["version"] >= 2
    assert list(body["working_hours"]) == list(WEEK)  # every day, also the days off
    assert body["working_hours"]["wed"] == []
    assert body["working_hours"]["fri"] == [["22:00", "24:00"]]
    assert body["property"] is None  # scope "all"
    assert body["goals"] == ALL_TICKETS["goals"]
    # The other scopes' kept rows, one key each (none kept yet).
    assert body["goals_by_scope"] == {"priority": [], "team": [], "source": [], "pipeline": []}
    assert body["holidays"] == ALL_TICKETS["holidays"]


def test_a_fresh_database_answers_24_7_with_goals_off(admin_client_: Client, db) -> None:
    body = admin_client_.get(URL).json()
    assert body["applies"] == "always"
    assert body["goals_enabled"] is False
    assert body["working_hours"] == {day: [] for day in WEEK}


def test_put_what_get_returned_changes_nothing_not_even_the_version(
    admin_client_: Client, saved: dict
) -> None:
    """SPEC 2.5: a save that changes nothing makes no version, no audit entry, no recompute."""
    ticket_create(subject="Open", body="b", requester_email="a@example.com", now=timezone.now())
    entries = SlaSettingsChange.objects.count()
    fetched = admin_client_.get(URL).json()
    response = put(admin_client_, {**fetched, "apply_to": "new_and_open"})
    assert response.status_code == 200
    assert response.json() == fetched
    assert admin_client_.get(URL).json() == fetched
    assert SlaSettingsChange.objects.count() == entries
    assert not SlaRecompute.objects.exists()


def test_put_may_leave_out_version_and_days_off(admin_client_: Client, saved: dict) -> None:
    body = copy.deepcopy(ALL_TICKETS)  # no "version", only four days
    body["timezone"] = "Europe/Oslo"
    response = put(admin_client_, body)
    assert response.status_code == 200
    assert response.json()["timezone"] == "Europe/Oslo"
    assert list(response.json()["working_hours"]) == list(WEEK)


def test_goals_by_property_round_trip(admin_client_: Client, db) -> None:
    Team.objects.create(name="Billing", slug="billing")
    Team.objects.create(name="IT", slug="it")
    body = {
        **ALL_TICKETS,
        "scope": "property",
        "property": "team",
        "goals": [goal("billing", 30, 10), goal("it", enabled=False)],
    }
    response = put(admin_client_, body)
    assert response.status_code == 200, response.content
    assert response.json()["property"] == "team"
    assert response.json()["goals"] == body["goals"]


# --- Who may ------------------------------------------------------------------------------------


def test_agents_get_403(agent_client: Client, saved: dict) -> None:
    assert agent_client.get(URL).status_code == 403
    response = put(agent_client, {**ALL_TICKETS, "timezone": "UTC"})
    assert response.status_code == 403
    assert "errors" in response.json()
    assert sla_settings_document() == saved


def test_anonymous_callers_get_401_json(client: Client, saved: dict) -> None:
    for response in (client.get(URL), put(client, ALL_TICKETS)):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json()["errors"]
    assert sla_settings_document() == saved


def test_an_api_token_works_without_csrf(saved: dict, token: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = put(
        client, {**ALL_TICKETS, "timezone": "Asia/Tokyo"}, Authorization=f"Token {token}"
    )
    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == "Asia/Tokyo"
    entry = SlaSettingsChange.objects.first()
    assert (entry.actor_username, entry.via) == ("boss", "api")


def test_a_revoked_or_wrong_token_gets_401(saved: dict, token: str) -> None:
    ApiToken.objects.filter(key_hash=api_key_hash(token)).update(is_active=False)
    client = Client()
    assert client.get(URL, headers={"Authorization": f"Token {token}"}).status_code == 401
    assert client.get(URL, headers={"Authorization": "Token nope"}).status_code == 401


def test_an_agents_token_gets_403(agent, saved: dict) -> None:
    key = ApiToken.objects.create(user=agent, key=ApiToken.generate_key()).key
    response = put(Client(), ALL_TICKETS, Authorization=f"Token {key}")
    assert response.status_code == 403


def test_session_writes_need_the_csrf_token(super_admin, saved: dict) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(super_admin)
    assert put(client, {**ALL_TICKETS, "timezone": "Asia/Tokyo"}).status_code == 403
    assert sla_settings_document() == saved
    client.get("/settings/sla/")  # sets the CSRF cookie, as the pages do
    csrf = client.cookies["csrftoken"].value
    response = put(client, {**ALL_TICKETS, "timezone": "Asia/Tokyo"}, **{"X-CSRFToken": csrf})
    assert response.status_code == 200


def test_other_methods_get_405(admin_client_: Client, saved: dict) -> None:
    response = admin_client_.post(URL, "{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, PUT"


# --- Refused documents ----------------------------------------------------------------------


def _with(**changes: Any) -> Callable[[dict], dict]:
    def change(document: dict) -> dict:
        return {**document, **changes}

    return change


def _goal(**changes: Any) -> Callable[[dict], dict]:
    def change(document: dict) -> dict:
        return {**document, "goals": [{**document["goals"][0], **changes}]}

    return change


def _hours(**days: Any) -> Callable[[dict], dict]:
    return _with(working_hours=days)


def _by_team(*values: str) -> Callable[[dict], dict]:
    return _with(scope="property", property="team", goals=[goal(value, 60) for value in values])


REFUSED: list[tuple[str, Callable[[dict], dict], str]] = [
    ("inverted period", _hours(mon=[["17:00", "09:00"]]), "working_hours.mon.0"),
    ("empty period", _hours(mon=[["09:00", "09:00"]]), "working_hours.mon.0"),
    ("overlapping", _hours(tue=[["09:00", "12:00"], ["11:00", "13:00"]]), "working_hours.tue.1"),
    ("24:00 as start", _hours(mon=[["24:00", "24:00"]]), "working_hours.mon.0"),
    ("single-digit hour", _hours(mon=[["9:00", "17:00"]]), "working_hours.mon.0"),
    ("not a pair", _hours(mon=[["09:00"]]), "working_hours.mon.0"),
    ("day is not a list", _hours(mon="09:00-17:00"), "working_hours.mon"),
    ("unknown day", _hours(monday=[["09:00", "17:00"]]), "working_hours.monday"),
    ("no hours at all", _hours(), "working_hours"),
    ("unknown time zone", _with(timezone="Mars/Olympus_Mons"), "timezone"),
    ("time zone not text", _with(timezone=7), "timezone"),
    ("applies", _with(applies="sometimes"), "applies"),
    (
        "due soon = goal",
        _goal(first_response_due_soon_minutes=60),
        "goals.0.first_response_due_soon_minutes",
    ),
    ("due soon > goal", _goal(close_due_soon_minutes=5000), "goals.0.close_due_soon_minutes"),
    (
        "due soon without goal",
        _goal(next_response_minutes=None, next_response_due_soon_minutes=5),
        "goals.0.next_response_due_soon_minutes",
    ),
    ("negative", _goal(close_minutes=-1), "goals.0.close_minutes"),
    ("zero", _goal(close_minutes=0), "goals.0.close_minutes"),
    ("more than a year", _goal(close_minutes=525_601), "goals.0.close_minutes"),
    ("boolean minutes", _goal(close_minutes=True), "goals.0.close_minutes"),
    ("string minutes", _goal(close_minutes="60"), "goals.0.close_minutes"),
    ("float minutes", _goal(close_minutes=60.5), "goals.0.close_minutes"),
    ("unknown top-level key", _with(colour="blue"), "colour"),
    ("unknown goal key", _goal(speed=3), "goals.0.speed"),
    ("enabled not a boolean", _goal(enabled="yes"), "goals.0.enabled"),
    ("property with scope all", _with(property="priority"), "property"),
    ("scope property without one", _with(scope="property", property=None), "property"),
    ("unknown property", _with(scope="property", property="colour"), "property"),
    ("unknown scope", _with(scope="some"), "scope"),
    ("value with scope all", _goal(value="urgent"), "goals.0.value"),
    ("two rows for all", _with(goals=[goal(None, 60), goal(None, 30)]), "goals.1.value"),
    ("team that does not exist", _by_team("ghosts"), "goals.0.value"),
    ("duplicate goal value", _by_team("billing", "billing"), "goals.1.value"),
    ("pause: not a stage", _with(pause_statuses=["support/nowhere"]), "pause_statuses.0"),
    ("pause: closed stage", _with(pause_statuses=["support/closed"]), "pause_statuses.0"),
    ("pause: not a list", _with(pause_statuses="support/new"), "pause_statuses"),
    (
        "holiday: bad date",
        _with(holidays=[{"date": "2026-13-01", "name": "?"}]),
        "holidays.0.date",
    ),
    (
        "holiday: 29 February of a common year",
        _with(holidays=[{"date": "2027-02-29"}]),
        "holidays.0.date",
    ),
    ("holiday: no date", _with(holidays=[{"name": "Someday"}]), "holidays.0.date"),
    (
        "holiday: twice",
        _with(holidays=[{"date": "2026-12-24"}, {"date": "2026-12-24"}]),
        "holidays.1.date",
    ),
    ("holiday: unknown key", _with(holidays=[{"date": "2026-12-24", "x": 1}]), "holidays.0.x"),
    (
        "holiday: recurring text",
        _with(holidays=[{"date": "2026-12-24", "recurring": "y"}]),
        "holidays.0.recurring",
    ),
    ("goals_enabled not a boolean", _with(goals_enabled="true"), "goals_enabled"),
    ("apply_to", _with(apply_to="everything"), "apply_to"),
    ("version not a number", _with(version="7"), "version"),
]


@pytest.mark.parametrize(
    ("change", "path"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_bad_documents_get_400_with_the_field_path(
    admin_client_: Client, saved: dict, change: Callable[[dict], dict], path: str
) -> None:
    Team.objects.create(name="Billing", slug="billing")
    before = SlaSettingsChange.objects.count()
    response = put(admin_client_, change(copy.deepcopy(ALL_TICKETS)))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert path in errors, errors
    assert all(isinstance(m, str) and m for m in errors[path])
    assert sla_settings_document() == saved
    assert SlaSettingsChange.objects.count() == before


@pytest.mark.parametrize(
    ("body", "status"),
    [("[1, 2]", 400), ("not json", 400), ('"text"', 400), ("{", 400), ("\xff", 400)],
)
def test_bodies_that_are_not_documents(admin_client_: Client, saved, body, status) -> None:
    response = put(admin_client_, body)
    assert response.status_code == status
    assert "" in response.json()["errors"]
    assert sla_settings_document() == saved


def test_the_body_must_be_json(admin_client_: Client, saved: dict) -> None:
    response = admin_client_.put(URL, "applies=always", content_type="text/plain")
    assert response.status_code == 415
    assert sla_settings_document() == saved


def test_a_stale_version_gets_409(admin_client_: Client, saved: dict) -> None:
    stale = admin_client_.get(URL).json()
    assert put(admin_client_, {**stale, "timezone": "Asia/Tokyo"}).status_code == 200
    current = sla_settings_document()
    before = SlaSettingsChange.objects.count()

    response = put(admin_client_, {**stale, "timezone": "Europe/Oslo"})

    assert response.status_code == 409
    assert "version" in response.json()["errors"]
    assert sla_settings_document() == current
    assert SlaSettingsChange.objects.count() == before


# --- The audit trail ------------------------------------------------------------------------


def test_each_save_writes_one_audit_entry_with_the_changed_fields(
    admin_client_: Client, super_admin, saved: dict
) -> None:
    before = SlaSettingsChange.objects.count()
    body = copy.deepcopy(ALL_TICKETS)
    body["timezone"] = "Europe/Helsinki"
    body["working_hours"]["wed"] = [["10:00", "14:00"]]
    body["goals"][0]["close_minutes"] = 1440

    response = put(admin_client_, body)

    assert response.status_code == 200
    assert SlaSettingsChange.objects.count() == before + 1
    entry = SlaSettingsChange.objects.first()
    assert entry.actor == super_admin
    assert entry.actor_username == "boss"
    assert entry.via == "api"
    assert entry.version == response.json()["version"]
    assert entry.apply_to == "new"
    assert {c["field"]: (c["before"], c["after"]) for c in entry.changes} == {
        "timezone": ("Europe/Stockholm", "Europe/Helsinki"),
        "working_hours.wed": ("off", "10:00–14:00"),
        "goals[all].close_minutes": (2880, 1440),
    }
    assert entry.before["timezone"] == "Europe/Stockholm"
    assert entry.after == response.json()


def test_refused_puts_write_no_audit_entry(admin_client_: Client, saved: dict) -> None:
    before = SlaSettingsChange.objects.count()
    put(admin_client_, {**ALL_TICKETS, "timezone": "Nowhere/Land"})
    assert SlaSettingsChange.objects.count() == before


# --- Applying to open tickets -----------------------------------------------------------------


def test_new_and_open_tickets_answers_202_with_the_recompute(admin_client_, saved) -> None:
    now = timezone.now()
    for number in range(2):
        ticket_create(subject=f"T{number}", body="Hi", requester_email="c@example.com", now=now)

    response = put(admin_client_, {**ALL_TICKETS, "timezone": "UTC", "apply_to": "new_and_open"})

    assert response.status_code == 202, response.content
    body = response.json()
    recompute = SlaRecompute.objects.get()
    assert body["recompute"]["id"] == recompute.pk
    assert body["recompute"]["tickets"] == 2
    assert body["recompute"]["done"] == recompute.done
    assert body["timezone"] == "UTC"
    assert recompute.settings_version == body["version"]
    assert SlaSettingsChange.objects.first().apply_to == "new_and_open"

    progress = admin_client_.get(f"/api/sla/recomputes/{recompute.pk}/")
    assert progress.status_code == 200
    assert progress.json() == {
        "id": recompute.pk,
        "tickets": 2,
        "done": recompute.done,
        "state": recompute.state,
        "waiting_for_worker_since": None,  # queued just now: no minute without progress yet
    }


def test_new_tickets_only_answers_200(admin_client_: Client, saved: dict) -> None:
    ticket_create(subject="T", body="Hi", requester_email="c@example.com", now=timezone.now())
    response = put(admin_client_, {**ALL_TICKETS, "apply_to": "new"})
    assert response.status_code == 200
    assert "recompute" not in response.json()
    assert not SlaRecompute.objects.exists()


def test_recompute_progress_permissions(client: Client, agent_client: Client, admin_client_, db):
    recompute = SlaRecompute.objects.create(settings_version=3, tickets=5, done=5, state="done")
    url = f"/api/sla/recomputes/{recompute.pk}/"
    assert client.get(url).status_code == 401
    assert agent_client.get(url).status_code == 403
    assert admin_client_.get(url).json()["state"] == "done"
    missing = admin_client_.get("/api/sla/recomputes/987654/")
    assert missing.status_code == 404
    assert missing.json()["errors"]


def test_stages_of_other_pipelines_can_pause(admin_client_: Client, saved: dict) -> None:
    billing = Pipeline.objects.create(slug="billing", name="Billing", position=1)
    Stage.objects.create(pipeline=billing, slug="on-hold", name="On hold", position=0)
    body = {**ALL_TICKETS, "pause_statuses": ["billing/on-hold", "support/waiting-on-customer"]}
    response = put(admin_client_, body)
    assert response.status_code == 200
    assert response.json()["pause_statuses"] == ["support/waiting-on-customer", "billing/on-hold"]
