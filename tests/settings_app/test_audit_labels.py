"""The audit log speaks as the settings page does ("Priority Urgent: time to first reply 15 min →
30 min"), in the viewer's time zone; labels come from one module, pinned to the models here."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from settings_app.display import audit_rows_of
from settings_app.document import PRIORITY_VALUES, SOURCE_VALUES
from settings_app.labels import (
    CLOCK_LABELS,
    CLOCK_SENTENCE_LABELS,
    GOAL_KIND_LABELS,
    PRIORITY_LABELS,
    SOURCE_LABELS,
    goal_row_label,
    stored_goal_label,
)
from settings_app.models import Priority, SlaSettingsChange, Source
from settings_app.services import sla_settings_save
from tests.factories import TeamFactory, goal_row, sla_document
from tests.settings_app.pages.helpers import text_of
from tickets.models import AgentProfile, ClockKind

AUDIT = "/settings/sla/audit/"


def row_texts(html: str, entry: SlaSettingsChange) -> str:
    match = re.search(rf'<tr class="audit-row" id="change-{entry.pk}">(.*?)</tr>', html, re.S)
    assert match is not None
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()).replace(" :", ":")


def test_labels_match_the_models_choices() -> None:
    assert {k: str(v) for k, v in PRIORITY_LABELS.items()} == dict(Priority.choices)
    assert {k: str(v) for k, v in SOURCE_LABELS.items()} == dict(Source.choices)
    assert set(GOAL_KIND_LABELS) == set(CLOCK_LABELS) == set(ClockKind.values)


def test_value_lists_and_clock_labels_are_the_labels_module_s() -> None:
    """The settings document's value lists, the clock kinds' choices and the clock labels of
    the timeline, the report and the SLA emails all come from ``settings_app.labels``."""
    assert tuple(Priority.values) == PRIORITY_VALUES
    assert tuple(Source.values) == SOURCE_VALUES
    assert dict(ClockKind.choices) == {k: str(v) for k, v in CLOCK_LABELS.items()}
    assert {k: str(v) for k, v in CLOCK_SENTENCE_LABELS.items()} == {
        k: str(v).lower() for k, v in CLOCK_LABELS.items()
    }


def test_goal_rows_are_named_as_on_the_page() -> None:
    assert goal_row_label("all", None) == "All tickets"
    assert goal_row_label("priority", "urgent") == "Priority Urgent"
    assert goal_row_label("priority", None) == "No priority"
    assert goal_row_label("team", "") == "No team"
    assert goal_row_label("team", "billing", names={"billing": "Billing"}) == "Team Billing"
    assert goal_row_label("source", "api") == "Source API"
    # What older clock events recorded reads the same way.
    assert stored_goal_label("all tickets") == "All tickets"
    assert stored_goal_label("priority urgent") == "Priority Urgent"
    assert stored_goal_label("Team Billing") == "Team Billing"


@pytest.mark.parametrize(
    ("stored", "name", "english", "swedish"),
    [
        # What clock events record: the row's key (and a record's name).
        ("all", "", "All tickets", "Alla ärenden"),
        ("priority:high", "", "Priority High", "Prioritet Hög"),
        ("priority:", "", "No priority", "Ingen prioritet"),
        ("team:", "", "No team", "Inget team"),
        ("source:email", "", "Source Email", "Källa E-post"),
        ("team:5", "Billing", "Team Billing", "Team Billing"),
        ("pipeline:3", "Sales", "Pipeline Sales", "Pipeline Sales"),
        # Older events: the English label of their moment, or a lower-case key.
        ("All tickets", "", "All tickets", "Alla ärenden"),
        ("Priority High", "", "Priority High", "Prioritet Hög"),
        ("No priority", "", "No priority", "Ingen prioritet"),
        ("No team", "", "No team", "Inget team"),
        ("Source API", "", "Source API", "Källa API"),
        ("Team Billing EU", "", "Team Billing EU", "Team Billing EU"),
        ("all tickets", "", "All tickets", "Alla ärenden"),
        ("priority urgent", "", "Priority Urgent", "Prioritet Brådskande"),
        # Unknown text stays as it is.
        ("Something else", "", "Something else", "Something else"),
    ],
)
def test_a_stored_goal_row_reads_in_the_active_language(stored, name, english, swedish) -> None:
    with translation.override("en"):
        assert stored_goal_label(stored, name) == english
    with translation.override("sv"):
        assert stored_goal_label(stored, name) == swedish


def test_the_audit_log_names_values_and_fields(admin_client_: Client, super_admin) -> None:
    TeamFactory(slug="billing", name="Billing")
    sla_settings_save(
        document=sla_document(
            scope="property",
            property="team",
            goals=[goal_row("billing", first_response=(60, 15)), goal_row(None, close=(30, None))],
        ),
        actor=super_admin,
        via="page",
    )
    entry = SlaSettingsChange.objects.first()
    text = row_texts(admin_client_.get(AUDIT).content.decode(), entry)
    assert "Apply goals: To all tickets → Based on a ticket property" in text
    assert "Ticket property: — → Team" in text
    assert "Team Billing: time to first reply — → 1 hour" in text
    assert "Team Billing: time to first reply, due soon — → 15 min" in text
    assert "No team: SLA goals off → on" in text
    assert "goals[" not in text and "_minutes" not in text  # no keys


def test_entries_written_before_the_labels_read_the_same(admin_client_, db) -> None:
    rows = audit_rows_of(
        [
            {"field": "goals[urgent].close_minutes", "before": 240, "after": 300},
            {"field": "goals[all].enabled", "before": True, "after": None},
            {"field": "pause_statuses", "before": [], "after": ["support/waiting-on-customer"]},
        ],
        stage_names={"support/waiting-on-customer": "Support › Waiting on customer"},
    )
    assert [(r["label"], r["before"], r["after"]) for r in rows] == [
        ("Priority Urgent: time to close", "4 hours", "5 hours"),
        ("All tickets: SLA goals", "on", "—"),
        ("Pause clocks in", "none", "Support › Waiting on customer"),
    ]


def test_the_audit_log_is_in_the_viewers_time_zone(admin_client_: Client, super_admin) -> None:
    with time_machine.travel(datetime.datetime(2026, 12, 4, 23, 30, tzinfo=datetime.UTC)):
        sla_settings_save(document={"timezone": "Europe/Oslo"}, actor=super_admin, via="page")
    entry = SlaSettingsChange.objects.first()
    # Without a zone of their own: the SLA schedule's (Oslo, UTC+1): already the 5th.
    assert "5 Dec 2026, 00:30 CET" in row_texts(admin_client_.get(AUDIT).content.decode(), entry)
    AgentProfile.objects.create(user=super_admin, timezone="America/New_York")
    assert "4 Dec 2026, 18:30 EST" in row_texts(admin_client_.get(AUDIT).content.decode(), entry)


def test_the_admin_names_goal_fields_as_the_page_does(admin_client_: Client, db) -> None:
    sla_settings_save(document=sla_document(), actor=None, via="command")
    page = admin_client_.get("/admin/settings_app/slasettings/1/change/").content.decode()
    goals = text_of(page, "goals-all")  # the page's own goal rows
    assert goals.startswith("To all tickets")
    assert "Time to first reply" in goals
    assert "Time to close" in goals
    assert "Mark as due soon" in goals
