"""Goals kept per scope (SPEC 2.3 and 7): ``goals_by_scope`` through the API and the service.

Each scope keeps its own rows; only the chosen scope's apply. A PUT merges ``goals_by_scope`` key
by key (a key sent replaces that scope's rows, ``[]`` clears them, a key left out is kept); the
chosen scope's own key there is ignored; a save that changes the scope keeps the rows it left.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from settings_app.display import audit_rows_of
from settings_app.models import SlaGoal, SlaSettingsChange
from settings_app.selectors import sla_settings_document
from settings_app.services import (
    SettingsValidationError,
    sla_settings_check,
    sla_settings_save,
)
from tests.factories import TeamFactory, goal_row, sla_document
from tickets.models import SlaRecompute
from tickets.services import ticket_create

URL = "/api/sla/settings/"

BY_PRIORITY = sla_document(
    scope="property",
    property="priority",
    goals=[
        goal_row("urgent", first_response=(15, 5), close=(240, 60)),
        goal_row("high", first_response=(60, 15), close=(1440, 240)),
        goal_row("low", enabled=False, close=(4320, None)),  # off, goals kept for later
    ],
)
ALL_ROW = goal_row(first_response=(120, 30), close=(2880, None))


def put(client: Client, body: Any) -> Any:
    return client.put(URL, json.dumps(body), content_type="application/json")


def save(document: dict[str, Any]) -> dict[str, Any]:
    return sla_settings_save(document=document, actor=None, via="command").document


@pytest.fixture
def by_priority(db) -> dict[str, Any]:
    return save(BY_PRIORITY)


def test_switching_to_all_tickets_keeps_the_priority_rows(admin_client_, by_priority) -> None:
    """The scope left keeps its rows under its key; switching back shows them again."""
    response = put(admin_client_, sla_document(goals=[ALL_ROW]))  # no goals_by_scope at all
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["scope"], body["goals"]) == ("all", [ALL_ROW])
    assert body["goals_by_scope"]["priority"] == BY_PRIORITY["goals"]
    assert "all" not in body["goals_by_scope"]  # the chosen scope's rows are in "goals"

    back = put(admin_client_, {**BY_PRIORITY, "goals": by_priority["goals"]}).json()
    assert back["goals"] == BY_PRIORITY["goals"]
    assert back["goals_by_scope"]["all"] == [ALL_ROW]  # and the all-tickets row is kept


def test_get_in_one_scope_put_in_another(admin_client_, by_priority) -> None:
    """The round trip: a document fetched in one scope, PUT back switched to another scope."""
    fetched = admin_client_.get(URL).json()
    team_goals = [goal_row("billing", first_response=(30, 10))]
    TeamFactory(slug="billing", name="Billing")
    switched = {**fetched, "property": "team", "goals": team_goals}
    response = put(admin_client_, switched)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["goals"] == team_goals
    assert body["goals_by_scope"]["priority"] == BY_PRIORITY["goals"]  # the scope it left
    assert "team" not in body["goals_by_scope"]  # its rows are "goals", not listed twice
    # And what GET says now, PUT back unchanged, is no change at all.
    entries = SlaSettingsChange.objects.count()
    assert put(admin_client_, admin_client_.get(URL).json()).json() == body
    assert SlaSettingsChange.objects.count() == entries


def test_a_key_left_out_is_kept_a_key_sent_replaces_and_empty_clears(by_priority) -> None:
    TeamFactory(slug="billing")
    TeamFactory(slug="it")
    team_rows = [goal_row("billing", close=(600, None)), goal_row("it", first_response=(60, 5))]
    document = save({**BY_PRIORITY, "goals_by_scope": {"team": team_rows}})
    assert document["goals_by_scope"]["team"] == team_rows
    assert document["goals"] == BY_PRIORITY["goals"]

    # "source" sent: replaces; "team" left out: kept.
    source_rows = [goal_row("phone", close=(60, None))]
    document = save({**BY_PRIORITY, "goals_by_scope": {"source": source_rows}})
    assert document["goals_by_scope"]["team"] == team_rows
    assert document["goals_by_scope"]["source"] == source_rows

    # [] clears that scope only.
    document = save({**BY_PRIORITY, "goals_by_scope": {"team": []}})
    assert document["goals_by_scope"]["team"] == []
    assert document["goals_by_scope"]["source"] == source_rows
    assert SlaGoal.objects.filter(scope="team").count() == 0


def test_the_chosen_scopes_own_key_is_ignored(by_priority) -> None:
    document = save(
        {**BY_PRIORITY, "goals_by_scope": {"priority": [goal_row("urgent", close=(1, None))]}}
    )
    assert document["goals"] == BY_PRIORITY["goals"]
    # Ignored entirely: not even validated.
    checked = sla_settings_check(
        document={**BY_PRIORITY, "goals_by_scope": {"priority": "not even a list"}}
    )
    assert checked.changes == []


@pytest.mark.parametrize(
    ("goals_by_scope", "path", "message"),
    [
        ("rows", "goals_by_scope", "Must be an object"),
        ({"colour": []}, "goals_by_scope.colour", "Unknown scope"),
        ({"team": {}}, "goals_by_scope.team", "Must be a list"),
        ({"team": [goal_row("ghosts", close=(5, None))]}, "goals_by_scope.team.0.value", "ghosts"),
        ({"all": [goal_row("urgent")]}, "goals_by_scope.all.0.value", "Must be null"),
        (
            {"source": [goal_row("email", close=(60, 60))]},
            "goals_by_scope.source.0.close_due_soon_minutes",
            "Must be shorter than the time to close goal",
        ),
        ({"pipeline": [goal_row(None, close=(60, None))]}, "goals_by_scope.pipeline.0.value", ""),
    ],
)
def test_kept_rows_are_validated_like_the_chosen_ones(
    admin_client_, by_priority, goals_by_scope, path, message
) -> None:
    response = put(admin_client_, {**BY_PRIORITY, "goals_by_scope": goals_by_scope})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert path in errors, errors
    assert message in " ".join(errors[path])
    assert sla_settings_document() == by_priority


def test_a_value_switched_on_with_no_goal_is_refused(admin_client_, by_priority) -> None:
    """SPEC 2: "a value switched on with no goal at all" would silently mean no SLA."""
    body = {**BY_PRIORITY, "goals": [*BY_PRIORITY["goals"], goal_row("medium")]}
    response = put(admin_client_, body)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "goals.3.enabled": [
            "Priority Medium is switched on with no goal: set at least one goal, or switch it off."
        ]
    }
    # Off with no goal is fine (the same as no row), and so is a due-soon-only row refused
    # for its own reason.
    body["goals"][3] = goal_row("medium", enabled=False)
    assert put(admin_client_, body).status_code == 200


def test_the_no_value_rows_are_null_and_only_for_priority_and_team(admin_client_, db) -> None:
    TeamFactory(slug="billing")
    body = sla_document(
        scope="property",
        property="team",
        goals=[goal_row("billing", close=(60, None)), goal_row(None, close=(120, None))],
        goals_by_scope={"priority": [goal_row(None, enabled=False, close=(30, None))]},
    )
    response = put(admin_client_, body)
    assert response.status_code == 200, response.content
    assert response.json()["goals"] == body["goals"]
    assert response.json()["goals_by_scope"]["priority"] == body["goals_by_scope"]["priority"]
    twice = {**body, "goals": [goal_row(None, close=(1, None)), goal_row(None, close=(2, None))]}
    assert put(admin_client_, twice).json()["errors"] == {
        "goals.1.value": ["The no-value row has goals already."]
    }
    source = {**body, "property": "source", "goals": [goal_row(None, close=(1, None))]}
    assert put(admin_client_, source).json()["errors"] == {
        "goals.0.value": ["Required: a source value."]
    }


def test_a_scope_switch_audits_only_real_changes(super_admin, by_priority) -> None:
    """Switching scope lists the scope and the new rows, not every kept row as removed."""
    result = sla_settings_save(
        document=sla_document(goals=[ALL_ROW]), actor=super_admin, via="page"
    )
    fields = [change["field"] for change in result.change.changes]
    assert fields == [
        "scope",
        "property",
        "goals[all].enabled",
        "goals[all].first_response_minutes",
        "goals[all].first_response_due_soon_minutes",
        "goals[all].close_minutes",
    ]
    rows = audit_rows_of(result.change.changes)
    assert [f"{r['label']}: {r['before']} → {r['after']}" for r in rows] == [
        "Apply goals: Based on a ticket property → To all tickets",
        "Ticket property: Priority → —",
        "All tickets: SLA goals: off → on",
        "All tickets: time to first reply: — → 2 hours",
        "All tickets: time to first reply, due soon: — → 30 min",
        "All tickets: time to close: — → 2 days",
    ]
    # Back to priority: only the scope changes (the rows were kept on both sides).
    back = sla_settings_save(document=BY_PRIORITY, actor=super_admin, via="page")
    assert [c["field"] for c in back.change.changes] == ["scope", "property"]


def test_a_change_to_one_value_reads_as_a_person_says_it(super_admin, by_priority) -> None:
    goals = [dict(row) for row in BY_PRIORITY["goals"]]
    goals[0]["first_response_minutes"] = 30
    result = sla_settings_save(
        document={**BY_PRIORITY, "goals": goals}, actor=super_admin, via="page"
    )
    (row,) = audit_rows_of(result.change.changes)
    assert f"{row['label']} {row['before']} → {row['after']}" == (
        "Priority Urgent: time to first reply 15 min → 30 min"
    )


def test_a_save_that_changes_nothing_writes_nothing(by_priority) -> None:
    ticket_create(subject="Open", body="b", requester_email="c@example.com", now=timezone.now())
    entries = SlaSettingsChange.objects.count()
    # The same settings, said differently: rows in another order, an off row with no goal
    # added, the chosen scope's key in goals_by_scope, and new and open tickets asked for.
    reordered = {
        **BY_PRIORITY,
        "goals": [*reversed(BY_PRIORITY["goals"]), goal_row("medium", enabled=False)],
        "goals_by_scope": {"priority": []},
    }
    result = sla_settings_save(document=reordered, actor=None, via="api", apply_to="new_and_open")
    assert result.change is None and result.recompute is None
    assert result.document == by_priority
    assert sla_settings_document() == by_priority
    assert SlaSettingsChange.objects.count() == entries
    assert not SlaRecompute.objects.exists()


def test_a_check_validates_and_lists_the_changes_without_writing(by_priority) -> None:
    with pytest.raises(SettingsValidationError):
        sla_settings_check(document={**BY_PRIORITY, "timezone": "Mars/Olympus"})
    checked = sla_settings_check(document={**BY_PRIORITY, "timezone": "Europe/Oslo"})
    assert [c["field"] for c in checked.changes] == ["timezone"]
    assert checked.after["timezone"] == "Europe/Oslo"
    assert sla_settings_document() == by_priority


def test_the_scope_left_is_kept_unless_its_key_is_sent(by_priority) -> None:
    """Leaving priority for all tickets keeps its rows; sending "priority" replaces them."""
    kept = save(sla_document(goals=[ALL_ROW]))
    assert kept["goals_by_scope"]["priority"] == BY_PRIORITY["goals"]
    save(BY_PRIORITY)
    cleared = save(sla_document(goals=[ALL_ROW], goals_by_scope={"priority": []}))
    assert cleared["goals_by_scope"]["priority"] == []
