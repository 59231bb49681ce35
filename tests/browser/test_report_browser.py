"""The SLA compliance report in a real Chromium: a custom range and a team, then Download CSV.

Clocks are written with moments relative to today (the live server runs on the real clock), in
UTC (the default schedule zone, no agent profile). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from settings_app.models import Team
from tests.conftest import PASSWORD
from tickets import sla
from tickets.models import SlaClock, Ticket
from tickets.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def day_at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def ticket_with_clocks(
    subject: str, team: Team, clocks: list[tuple[str, int, datetime.datetime, Any]]
) -> Ticket:
    """A ticket (goals are off, so no clocks of its own) and ``(kind, cycle, due, completed)``."""
    created = ticket_create(
        subject=subject, body="Help", requester_email="c@example.com", team=team, now=timezone.now()
    )
    for kind, cycle, due_at, completed_at in clocks:
        SlaClock.objects.create(
            ticket=created,
            kind=kind,
            cycle=cycle,
            goal_minutes=60,
            settings_version=1,
            started_at=due_at - datetime.timedelta(hours=1),
            due_at=due_at,
            completed_at=completed_at,
            completed_by="reply" if completed_at else "",
        )
    return created


def test_an_agent_picks_a_range_and_a_team_and_downloads_the_csv(
    page: Any, live_server: Any, agent: Any, artifacts: Path
) -> None:
    billing = Team.objects.create(name="Billing", slug="billing")
    it = Team.objects.create(name="IT", slug="it")
    today = timezone.now().astimezone(datetime.UTC).date()
    first = today - datetime.timedelta(days=9)
    d = today - datetime.timedelta(days=5)
    next_day = d + datetime.timedelta(days=1)
    ticket_with_clocks(
        "Refund",
        billing,
        [
            (sla.FIRST_RESPONSE, 1, day_at(d, 10), day_at(d, 9)),  # on time
            (sla.NEXT_RESPONSE, 1, day_at(next_day, 10), day_at(next_day, 11)),  # late
            (sla.CLOSE, 1, day_at(d + datetime.timedelta(days=2), 10), None),  # overdue
        ],
    )
    ticket_with_clocks(
        "Invoice", billing, [(sla.FIRST_RESPONSE, 1, day_at(next_day, 10), day_at(next_day, 8))]
    )
    ticket_with_clocks(
        "VPN", it, [(sla.FIRST_RESPONSE, 1, day_at(d, 10), day_at(next_day, 10))]
    )  # late, another team

    page.goto("/accounts/login/?next=/reports/sla/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/reports/sla/$"))
    assert page.locator("h1").inner_text() == "SLA compliance"
    assert page.get_by_role("link", name="Reports").get_attribute("aria-current") == "page"
    # Last 7 days by default: all three tickets' first responses fall in it.
    total = page.locator('#breakdown-table tr[data-group="Total"][data-goal="first_response"]')
    assert total.locator("td").nth(1).inner_text() == "3"

    # A custom range and a team. Typing a date picks "Custom range" by itself.
    page.fill("#id_start", first.isoformat())
    assert page.locator("#id_period").input_value() == "custom"
    page.fill("#id_end", (today - datetime.timedelta(days=1)).isoformat())
    page.select_option("#id_team", "billing")
    page.select_option("#id_breakdown", "team")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_url(re.compile(r"team=billing"))
    assert "· Billing ·" in page.locator("#report-period").inner_text()
    rows = page.locator("#breakdown-table tr[data-group]")
    assert rows.count() == 6  # Billing (3 goals) and the total (3 goals)
    billing_first = page.locator('tr[data-group="Billing"][data-goal="first_response"]')
    assert billing_first.locator("td").all_inner_texts()[1:5] == ["2", "2", "0", "0"]
    assert "100 %" in billing_first.inner_text()
    assert page.locator("#trend-chart").is_visible()
    assert page.locator("#trend-chart circle").count() == 2  # two days with first responses
    page.screenshot(path=str(artifacts / "report.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"sla-compliance_{first.isoformat()}_{(today - datetime.timedelta(days=1)).isoformat()}"
        "_billing_by-team.csv"
    )
    with open(download.path(), "rb") as raw:
        assert raw.read(3) == codecs.BOM_UTF8  # so that Excel reads it as UTF-8
    with open(download.path(), newline="", encoding="utf-8-sig") as handle:
        rows_csv = list(csv.reader(handle))
    assert rows_csv == [
        ["Team", "Goal", "Completed", "On time", "Late", "Running overdue", "% met"],
        ["Billing", "First reply", "2", "2", "0", "0", "100"],
        ["Billing", "Next reply", "1", "0", "1", "0", "0"],
        ["Billing", "Close", "0", "0", "0", "1", "0"],
        ["Total", "First reply", "2", "2", "0", "0", "100"],
        ["Total", "Next reply", "1", "0", "1", "0", "0"],
        ["Total", "Close", "0", "0", "0", "1", "0"],
    ]

    # A range the other way round is refused next to the field, and nothing breaks.
    page.fill("#id_start", today.isoformat())
    page.fill("#id_end", first.isoformat())
    page.get_by_role("button", name="Show report").click()
    page.locator("#report-errors").wait_for()
    assert "The last day is before the first day." in page.locator("#id_end-error").inner_text()
    assert page.locator("#download-csv").count() == 0
