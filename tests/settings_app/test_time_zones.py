"""One rule of accepted time zones at every entry point (issue "Security, second round", SPEC
section 2): the settings page, the settings API (the settings document), the Django admin, the
agent's time-zone preference (page and admin) and the business-time core refuse exactly
``localtime``, ``Factory``, ``posixrules``, ``posix/…`` and ``right/…``, and keep every other
name exactly as it was sent. A data migration maps stored refused names to their zone.
"""

from __future__ import annotations

import datetime
import json
import re
import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from settings_app.business_time import WorkingSchedule
from settings_app.models import SlaSettings
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from settings_app.time_zones import allowed_zones, canonical_zone
from tests.settings_app.pages.helpers import BY_PRIORITY, SLA_URL, form_data, page_html, text_of
from tickets.models import AgentProfile

REFUSED = [
    "localtime",
    "Factory",
    "posixrules",
    "posix/Europe/Stockholm",
    "right/Europe/Stockholm",
    "posix/UTC",
    "right/UTC",
]
# Valid names, links and fixed offsets included, kept as they were sent.
ACCEPTED = ["UTC", "Europe/Stockholm", "US/Eastern", "Etc/GMT+5", "GMT", "Asia/Kolkata"]
ADMIN_CHANGE = "/admin/settings_app/slasettings/1/change/"


@pytest.fixture
def configured(db) -> dict:
    return sla_settings_save(document=BY_PRIORITY, actor=None, via="command").document


def _options(html: str, name: str) -> set[str]:
    select = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name!r} in the page"
    return set(re.findall(r'<option value="([^"]*)"', select.group(1)))


# --- The one list ----------------------------------------------------------------------------


def test_the_list_holds_every_zone_but_the_refused_ones() -> None:
    zones = set(allowed_zones())
    assert not zones & set(REFUSED)
    assert not any(zone.startswith(("posix/", "right/")) for zone in zones)
    refused = {"localtime", "Factory", "posixrules"}
    assert zones == {
        zone
        for zone in zoneinfo.available_timezones()
        if zone not in refused and not zone.startswith(("posix/", "right/"))
    }
    assert set(ACCEPTED) <= zones


@pytest.mark.parametrize(
    ("stored", "canonical"),
    [
        ("posix/Europe/Stockholm", "Europe/Stockholm"),
        ("right/America/New_York", "America/New_York"),
        ("UTC", "UTC"),
        ("localtime", None),
        ("Factory", None),
        ("posixrules", None),
        ("Mars/Olympus_Mons", None),
    ],
)
def test_a_refused_name_maps_to_its_zone(stored: str, canonical: str | None) -> None:
    assert canonical_zone(stored) == canonical


# --- The business-time core (SPEC section 6) -------------------------------------------------


@pytest.mark.parametrize("name", REFUSED)
def test_business_time_refuses_the_names_spec_lists(name: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        WorkingSchedule(timezone=name, periods={0: [("09:00", "17:00")]})
    with pytest.raises(ValueError):
        WorkingSchedule(timezone=zoneinfo.ZoneInfo(name), always_open=True)


@pytest.mark.parametrize("name", ACCEPTED)
def test_business_time_takes_every_other_name(name: str) -> None:
    schedule = WorkingSchedule(timezone=name, periods={0: [("09:00", "17:00")]})
    start = datetime.datetime(2026, 3, 2, 0, 0, tzinfo=zoneinfo.ZoneInfo(name))
    assert schedule.add_working_time(start, datetime.timedelta(hours=1)) == start.replace(hour=10)


# --- The settings API ------------------------------------------------------------------------


def _put(client: Client, document: dict[str, Any]) -> Any:
    return client.put("/api/sla/settings/", json.dumps(document), content_type="application/json")


@pytest.mark.parametrize("name", REFUSED)
def test_the_api_refuses_them(admin_client_: Client, configured: dict, name: str) -> None:
    response = _put(admin_client_, {**configured, "timezone": name})
    assert response.status_code == 400
    message = " ".join(response.json()["errors"]["timezone"])
    assert "is not accepted" in message
    if name.startswith(("posix/", "right/")):
        assert name.split("/", 1)[1] in message  # names the zone to use
    assert sla_settings_document() == configured


@pytest.mark.parametrize("name", ACCEPTED)
def test_the_api_keeps_every_other_name_as_sent(
    admin_client_: Client, configured: dict, name: str
) -> None:
    response = _put(admin_client_, {**configured, "timezone": name})
    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == name
    assert admin_client_.get("/api/sla/settings/").json()["timezone"] == name


# --- The settings page -----------------------------------------------------------------------


def test_the_page_offers_the_list(admin_client_: Client, configured: dict) -> None:
    assert _options(page_html(admin_client_), "timezone") == set(allowed_zones())


@pytest.mark.parametrize("name", ["localtime", "Factory", "posix/Europe/Stockholm", "right/UTC"])
def test_the_page_refuses_them(admin_client_: Client, configured: dict, name: str) -> None:
    data = form_data(page_html(admin_client_))
    data["timezone"] = [name]  # a crafted post: the page does not offer them
    response = admin_client_.post(SLA_URL, data)
    assert response.status_code == 200
    assert "is not accepted" in text_of(response.content.decode(), "timezone-errors")
    assert sla_settings_document() == configured


@pytest.mark.parametrize("name", ["UTC", "US/Eastern"])
def test_the_page_keeps_every_other_name(admin_client_: Client, configured: dict, name: str):
    sla_settings_save(document={**configured, "timezone": name}, actor=None, via="api")
    # An unchanged save from the page keeps the zone as the API stored it.
    response = admin_client_.post(SLA_URL, form_data(page_html(admin_client_)))
    assert response.status_code == 302
    assert sla_settings_document()["timezone"] == name


# --- The Django admin ------------------------------------------------------------------------


def _admin_form(client: Client) -> dict[str, list[str]]:
    data = form_data(page_html(client, ADMIN_CHANGE), "slasettings_form")
    data["_save"] = ["Save"]
    return data


def test_the_admin_offers_the_list_and_refuses_the_rest(
    admin_client_: Client, configured: dict
) -> None:
    assert _options(page_html(admin_client_, ADMIN_CHANGE), "timezone") == set(allowed_zones())
    for name in ("localtime", "posix/Europe/Stockholm"):
        data = _admin_form(admin_client_)
        data["timezone"] = [name]
        response = admin_client_.post(ADMIN_CHANGE, data)
        assert response.status_code == 200
        assert "is not accepted" in text_of(response.content.decode(), "when-fields")
    assert sla_settings_document() == configured
    data = _admin_form(admin_client_)
    data["timezone"] = ["GMT"]
    assert admin_client_.post(ADMIN_CHANGE, data).status_code == 302
    assert sla_settings_document()["timezone"] == "GMT"


# --- The agent's preference ------------------------------------------------------------------


def test_the_agents_preference_offers_the_list_and_refuses_the_rest(
    agent_client: Client, agent: Any, configured: dict
) -> None:
    page = agent_client.get("/tickets/profile/").content.decode()
    assert _options(page, "timezone") == {"", *allowed_zones()}
    for name in REFUSED:
        response = agent_client.post("/tickets/profile/", {"timezone": name})
        assert response.status_code == 400, name
        assert "Select a valid choice" in response.content.decode()
    assert not AgentProfile.objects.filter(user=agent).exclude(timezone="").exists()
    assert agent_client.post("/tickets/profile/", {"timezone": "UTC"}).status_code == 302
    assert AgentProfile.objects.get(user=agent).timezone == "UTC"


def test_the_admin_preference_form_offers_the_list_and_refuses_the_rest(
    admin_client_: Client, agent: Any, configured: dict
) -> None:
    add = "/admin/tickets/agentprofile/add/"
    assert _options(admin_client_.get(add).content.decode(), "timezone") == {
        "",
        *allowed_zones(),
    }
    for name in ("Factory", "right/Europe/Stockholm"):
        response = admin_client_.post(add, {"user": agent.pk, "timezone": name})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not AgentProfile.objects.exists()


# --- The data migration ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migrations_map_stored_names_to_their_zones(agent: Any, super_admin: Any) -> None:
    targets = [
        ("settings_app", "0005_single_line_names"),
        ("tickets", "0015_clock_kind_labels"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    old = executor.loader.project_state(targets).apps
    old.get_model("settings_app", "SlaSettings").objects.filter(pk=1).update(
        timezone="posix/Europe/Stockholm"
    )
    profiles = old.get_model("tickets", "AgentProfile").objects
    profiles.create(user_id=agent.pk, timezone="right/Asia/Tokyo")
    profiles.create(user_id=super_admin.pk, timezone="localtime")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert SlaSettings.objects.get(pk=1).timezone == "Europe/Stockholm"
    assert AgentProfile.objects.get(user=agent).timezone == "Asia/Tokyo"
    assert AgentProfile.objects.get(user=super_admin).timezone == ""
