"""Single-line text (issue "Robustness"): subjects and names are one line of visible text, at the
API, the request form, the admin and the settings document, and stored rows were cleaned by a
data migration. One rule: ``slaproject.single_line.single_line``."""

from __future__ import annotations

import importlib
import json
import re
import unicodedata
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from settings_app.models import SlaSettingsChange, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from slaproject.single_line import (
    DATABASE_PATTERN,
    KEPT_FORMAT,
    LINE_BREAKS,
    REMOVED_RANGES,
    single_line,
)
from tests.factories import ALWAYS_DOCUMENT, TicketFactory, sla_document
from tickets.api_auth.models import ApiToken
from tickets.models import Ticket
from tickets.services import ticket_create

RLO, LRI, PDI, ZWSP, ZWNJ, ZWJ, RLM = (
    "\u202e",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200f",
)
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        pytest.param("Help\r\nplease", "Help please", id="crlf"),
        pytest.param("Re: a long\r\n subject, folded", "Re: a long subject, folded", id="folded"),
        pytest.param("Tab\tseparated", "Tab separated", id="tab"),
        pytest.param("One\u2028two\u2029three\x85four", "One two three four", id="separators"),
        pytest.param("\x1b[31mRED\x1b[0m alert\x07", "[31mRED[0m alert", id="esc-bel"),
        pytest.param(f"Invoice {RLO}fdp.exe", "Invoice fdp.exe", id="right-to-left-override"),
        pytest.param(f"{LRI}admin{PDI} said", "admin said", id="isolates"),
        pytest.param(f"pay{ZWSP}pal \u00adsoft \ufeffbom \u2060joiner", "paypal soft bom joiner"),
        pytest.param("nul\x00 del\x7f c1\x9b", "nul del c1", id="nul-del-c1"),
        pytest.param("  spaced  ", "spaced", id="stripped"),
        pytest.param(f"می{ZWNJ}خواهم 👩{ZWJ}💻", f"می{ZWNJ}خواهم 👩{ZWJ}💻", id="joiners-kept"),
        pytest.param(f"שלום{RLM}!", f"שלום{RLM}!", id="direction-mark-kept"),
        pytest.param(f"Go {ENGLAND}!", f"Go {ENGLAND}!", id="emoji-flag-kept"),
        pytest.param("hidden\U000e0041\U000e0042 tags", "hidden tags", id="stray-tags"),
        pytest.param("lone \ud800 surrogate", "lone  surrogate", id="surrogate"),
        pytest.param("Printer on fire", "Printer on fire", id="plain"),
    ],
)
def test_single_line(typed: str, stored: str) -> None:
    assert single_line(typed) == stored


@given(st.text())
def test_single_line_is_idempotent_and_leaves_nothing_refused(text: str) -> None:
    once = single_line(text)
    assert single_line(once) == once
    assert once == once.strip()
    assert not any(c in LINE_BREAKS for c in once)
    assert not any(a <= ord(c) <= b for c in once for a, b in REMOVED_RANGES if a < 0xE0020), (
        "only a flag's tags may stay"
    )


def test_every_control_and_format_character_is_decided() -> None:
    """Each Cc, Cf, Zl, Zp character of this Python's Unicode is removed, made a space, or kept
    on purpose: a new Unicode version's format character fails here until someone decides."""
    removed = {cp for a, b in REMOVED_RANGES for cp in range(a, b + 1)}
    undecided = [
        f"U+{cp:04X} {unicodedata.name(chr(cp), '')}"
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp")
        and cp not in removed
        and cp not in KEPT_FORMAT
    ]
    assert undecided == []


def test_the_database_pattern_finds_exactly_what_the_rule_changes() -> None:
    candidates = [chr(cp) for cp in range(1, 0x3000)] + [chr(cp) for cp in range(0xE0000, 0xE0080)]
    candidates += ["\ufeff", "\ufff9", "\ufffb", "\u202e"]
    for char in candidates:
        text = f"a{char}b"
        assert bool(re.search(DATABASE_PATTERN, text)) == (single_line(text) != text), repr(char)


# --- where text comes in -------------------------------------------------------------------------

POISON = f"Help\r\nplease {RLO}fdp.exe\x1b\x07"
CLEAN = "Help please fdp.exe"


@pytest.fixture
def api(agent) -> Client:
    token = ApiToken.objects.create(user=agent, key=ApiToken.generate_key())
    return Client(headers={"Authorization": f"Token {token.key}"})


def _create(api: Client, **fields: Any) -> Any:
    body = {"subject": "x", "body": "It broke.", "requester_email": "c@example.com", **fields}
    return api.post("/api/tickets/", json.dumps(body), content_type="application/json")


def test_the_api_stores_a_subject_as_one_line(api: Client) -> None:
    response = _create(api, subject=POISON)
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == CLEAN
    assert Ticket.objects.get().subject == CLEAN


def test_the_api_refuses_a_subject_of_nothing_but_control_characters(api: Client) -> None:
    response = _create(api, subject=f"\r\n\x1b{RLO}\t")
    assert response.status_code == 400
    assert response.json() == {"errors": {"subject": ["This field may not be blank."]}}
    assert not Ticket.objects.exists()


def test_the_request_form_stores_a_subject_as_one_line(client: Client, db) -> None:
    response = client.post(
        "/request/",
        {"requester_email": "cy@example.com", "subject": POISON, "body": "Hi!"},
    )
    assert response.status_code == 302
    assert Ticket.objects.get().subject == CLEAN


def test_the_request_form_says_so_when_nothing_visible_is_left(client: Client, db) -> None:
    response = client.post(
        "/request/", {"requester_email": "cy@example.com", "subject": "\x1b\x07", "body": "Hi"}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Ticket.objects.exists()


def test_every_channel_through_the_service_gets_one_line(db) -> None:
    # The inbound email path, the request form and the API all end in ticket_create.
    assert TicketFactory(subject=POISON).subject == CLEAN
    ticket = ticket_create(
        subject="Hi",
        body="Hello",
        requester_email="ana@example.com",
        requester_name=f"Ana\r\n\tFerreira{LRI}",
        now=timezone.now(),
    )
    assert ticket.requester_name == "Ana Ferreira"


def test_the_admin_stores_names_and_subjects_as_one_line(admin_client_: Client, agent) -> None:
    response = admin_client_.post(
        "/admin/settings_app/team/add/", {"name": f"Bill\ting{RLO}", "slug": "billing"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Team.objects.get(slug="billing").name == "Bill ing"
    response = admin_client_.post(
        "/admin/apiauth/apitoken/add/", {"user": agent.pk, "name": "mail\ngateway\x1b"}
    )
    assert response.status_code == 200  # the page that shows the new key once
    assert ApiToken.objects.filter(name="mail gateway").exists()
    from tests.tickets.test_admin import change_form

    ticket = TicketFactory()
    data = change_form(admin_client_, ticket)
    data["subject"] = POISON
    response = admin_client_.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.subject == CLEAN


def test_holiday_names_are_one_line_through_the_settings_document(super_admin) -> None:
    token = ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key())
    api = Client(headers={"Authorization": f"Token {token.key}"})
    document = sla_document(
        ALWAYS_DOCUMENT,
        holidays=[{"date": "2026-12-24", "name": f"Christmas\r\nEve{LRI}", "recurring": True}],
    )
    response = api.put("/api/sla/settings/", json.dumps(document), content_type="application/json")
    assert response.status_code == 200, response.content
    assert sla_settings_document()["holidays"][0]["name"] == "Christmas Eve"


# --- the data migration --------------------------------------------------------------------------

MIGRATIONS = {
    "tickets": "0013_single_line_text",
    "settings_app": "0005_single_line_names",
}


def _before_and_after() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    before = []
    for app, name in MIGRATIONS.items():
        module = importlib.import_module(f"{app}.migrations.{name}")
        before += list(module.Migration.dependencies)
    return before, list(MIGRATIONS.items())


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_cleans_stored_rows() -> None:
    before, after = _before_and_after()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    settings_row = apps.get_model("settings_app", "SlaSettings").objects.get_or_create(pk=1)[0]
    pipeline = apps.get_model("settings_app", "Pipeline").objects.get(slug="support")
    stage = apps.get_model("settings_app", "Stage").objects.filter(pipeline=pipeline).first()
    apps.get_model("settings_app", "Team").objects.create(name=f"Bill\ting{RLO}", slug="billing")
    apps.get_model("settings_app", "Team").objects.create(name="\x1b\x07", slug="invisible")
    apps.get_model("settings_app", "Holiday").objects.create(
        sla_settings=settings_row, date="2026-12-24", name="Christmas\nEve"
    )
    Ticket_ = apps.get_model("tickets", "Ticket")
    common = {"requester_email": "c@example.com", "pipeline": pipeline, "stage": stage}
    poisoned = Ticket_.objects.create(
        subject=POISON,
        requester_name=f"Ana\r\n Ferreira{RLO}",
        created_at="2026-01-01T00:00Z",
        **common,
    )
    empty = Ticket_.objects.create(subject="\r\n", created_at="2026-01-01T00:00Z", **common)
    fine = Ticket_.objects.create(subject=" Fine ", created_at="2026-01-01T00:00Z", **common)

    executor = MigrationExecutor(connection)
    executor.migrate(after)

    assert dict(Team.objects.values_list("slug", "name")) == {
        "billing": "Bill ing",
        "invisible": "invisible",
    }
    assert list(Ticket.objects.order_by("pk").values_list("pk", "subject", "requester_name")) == [
        (poisoned.pk, CLEAN, "Ana Ferreira"),
        (empty.pk, "(no subject)", ""),
        (fine.pk, " Fine ", ""),  # nothing to clean: not rewritten
    ]
    from settings_app.models import Holiday

    assert Holiday.objects.get().name == "Christmas Eve"
    # Back to the latest state of every app, for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    sla_settings_save(document=ALWAYS_DOCUMENT, actor=None, via=SlaSettingsChange.Via.COMMAND)
