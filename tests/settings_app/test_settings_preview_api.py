"""``POST /api/sla/settings/preview/``: the dry run of a settings document over the API (issue 15).

It validates as a PUT does, says what a save would change, and counts what "new and open
tickets" would do to the open tickets' running clocks, without writing anything. (That the counts
equal a real recompute's: tests/tickets/test_settings_preview.py.)
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.factories import TicketFactory, goal_row, sla_document
from tickets.api_auth.models import ApiToken
from tickets.models import SlaClock, SlaEvent, SlaRecompute

NOW = datetime.datetime(2026, 12, 3, 13, 0, tzinfo=datetime.UTC)
URL = "/api/sla/settings/preview/"


@pytest.fixture
def api(super_admin) -> Client:
    token = ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key())
    return Client(headers={"Authorization": f"Token {token.key}"})


def _post(client: Client, document: Any) -> Any:
    return client.post(URL, json.dumps(document), content_type="application/json")


def _stored() -> tuple:
    return (
        sla_settings_document(),
        sorted(SlaClock.objects.values_list("id", "due_at", "due_soon_at", "status")),
        SlaEvent.objects.count(),
        SlaSettingsChange.objects.count(),
        SlaRecompute.objects.count(),
    )


@time_machine.travel(NOW, tick=False)
def test_a_shorter_goal_is_counted_and_nothing_is_written(api: Client) -> None:
    sla_settings_save(
        document=sla_document(goals=[goal_row(first_response=(60, 15), close=(1440, None))]),
        actor=None,
        via="command",
    )
    for minutes_ago in (50, 40, 10, 1):
        TicketFactory(now=NOW - datetime.timedelta(minutes=minutes_ago))
    stored = _stored()
    document = sla_document(goals=[goal_row(first_response=(45, 10), close=(1440, None))])

    response = _post(api, document)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == stored[0]["version"]
    assert body["open_tickets"] == 4
    assert body["computed_at"] == "2026-12-03T13:00:00Z"
    fields = {change["field"]: change for change in body["changes"]}
    assert fields["goals[all].first_response_minutes"]["after"] == 45
    # 50 min in: overdue now; 40 min in: due soon now (35 min is the new due-soon moment).
    assert body["clocks"]["first_response"] == {
        "earlier": 4,
        "later": 0,
        "unchanged": 0,
        "started": 0,
        "removed": 0,
        "overdue_now": 1,
        "due_soon_now": 1,
    }
    assert body["clocks"]["close"]["unchanged"] == 4
    assert body["clocks"]["next_response"] == dict.fromkeys(body["clocks"]["close"], 0)
    assert body["tickets"] == {"changed": 4, "overdue_now": 1, "due_soon_now": 1}
    assert _stored() == stored


@time_machine.travel(NOW, tick=False)
def test_a_document_that_changes_nothing_has_no_dry_run(api: Client) -> None:
    TicketFactory(now=NOW)
    document = api.get("/api/sla/settings/").json()

    body = _post(api, document).json()

    assert body["changes"] == []
    assert body["clocks"] is None and body["tickets"] is None
    assert body["open_tickets"] == 1


@time_machine.travel(NOW, tick=False)
def test_bad_documents_are_refused_as_a_put_refuses_them(api: Client) -> None:
    stored = _stored()
    bad = sla_document(goals=[goal_row(first_response=(30, 45))])

    response = _post(api, bad)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["goals.0.first_response_due_soon_minutes"]
    old = _post(api, sla_document(version=stored[0]["version"] - 1 or 99))
    assert old.status_code == 409 and "version" in old.json()["errors"]
    assert _post(api, [1, 2]).status_code == 400
    assert _stored() == stored


def test_agents_may_not_preview(agent_client: Client) -> None:
    response = agent_client.post(URL, "{}", content_type="application/json")
    assert response.status_code == 403


# --- Above SLA_PREVIEW_INLINE_MAX_TICKETS open tickets: in the background, with progress -------


def _shorter_goals_setup() -> dict:
    sla_settings_save(
        document=sla_document(goals=[goal_row(first_response=(60, 15), close=(1440, None))]),
        actor=None,
        via="command",
    )
    for minutes_ago in (50, 40, 10, 1):
        TicketFactory(now=NOW - datetime.timedelta(minutes=minutes_ago))
    return sla_document(goals=[goal_row(first_response=(45, 10), close=(1440, None))])


@time_machine.travel(NOW, tick=False)
def test_over_the_limit_the_dry_run_runs_in_the_background_with_progress(
    api: Client, settings
) -> None:
    from tickets.models import SettingsPreviewRun
    from tickets.preview_runs import settings_preview_run

    document = _shorter_goals_setup()
    inline = _post(api, document).json()  # 4 open tickets, under the limit: at once
    settings.SLA_PREVIEW_INLINE_MAX_TICKETS = 3
    stored = _stored()

    response = _post(api, document)

    assert response.status_code == 202, response.content
    body = response.json()
    run = SettingsPreviewRun.objects.get()
    assert body == {
        "version": inline["version"],
        "changes": inline["changes"],
        "open_tickets": 4,
        "computed_at": None,
        "clocks": None,
        "tickets": None,
        "preview": {
            "id": run.pk,
            "state": "queued",
            "tickets": 4,
            "done": 0,
            "url": f"/api/sla/settings/previews/{run.pk}/",
            "error": None,
            "result": None,
        },
    }
    assert _stored() == stored  # nothing saved but the run
    assert api.get(body["preview"]["url"]).json()["state"] == "queued"

    settings_preview_run(run_id=run.pk, now=NOW)  # what the Celery task does

    followed = api.get(body["preview"]["url"])
    assert followed.status_code == 200
    assert followed.json() == {
        **body["preview"],
        "state": "done",
        "done": 4,
        "result": inline,  # exactly what the answer at once holds
    }
    assert _stored() == stored


@time_machine.travel(NOW, tick=False)
def test_over_the_limit_bad_input_is_refused_at_once_and_starts_nothing(
    api: Client, settings
) -> None:
    from tickets.models import SettingsPreviewRun

    _shorter_goals_setup()
    settings.SLA_PREVIEW_INLINE_MAX_TICKETS = 0
    response = _post(api, sla_document(goals=[goal_row(first_response=(30, 45))]))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["goals.0.first_response_due_soon_minutes"]
    unchanged = _post(api, api.get("/api/sla/settings/").json())
    assert unchanged.status_code == 200 and unchanged.json()["clocks"] is None
    assert not SettingsPreviewRun.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_failed_background_dry_run_says_why(api: Client, settings) -> None:
    from tickets.preview_runs import settings_preview_run

    document = _shorter_goals_setup()
    settings.SLA_PREVIEW_INLINE_MAX_TICKETS = 0
    url = _post(api, document).json()["preview"]["url"]
    sla_settings_save(document=sla_document(goals_enabled=False), actor=None, via="command")
    settings_preview_run(run_id=int(url.rstrip("/").rsplit("/", 1)[1]), now=NOW)

    body = api.get(url).json()
    assert body["state"] == "failed" and body["result"] is None
    assert body["error"].startswith("The SLA settings were changed meanwhile")
    swedish = api.get(url, headers={"Accept-Language": "sv"}).json()["error"]
    assert swedish != body["error"] and swedish  # translated


def test_a_background_dry_run_that_does_not_exist_is_a_404(api: Client) -> None:
    response = api.get("/api/sla/settings/previews/999/")
    assert response.status_code == 404
    assert response.json() == {"errors": {"": ["No dry run with id 999."]}}


def test_agents_may_not_follow_a_background_dry_run(agent_client: Client) -> None:
    assert agent_client.get("/api/sla/settings/previews/1/").status_code == 403


def test_the_background_dry_run_is_in_the_openapi_document(api: Client) -> None:
    schema = api.get("/api/schema/").json()
    preview = schema["paths"]["/api/sla/settings/preview/"]["post"]
    assert "202" in preview["responses"]
    assert "SLA_PREVIEW_INLINE_MAX_TICKETS" in preview["description"]
    follow = schema["paths"]["/api/sla/settings/previews/{pk}/"]["get"]
    assert {"200", "404"} <= set(follow["responses"])
