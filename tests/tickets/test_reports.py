"""The SLA compliance report through its real URLs, with figures counted by hand.

Clock rows are written directly with known moments (the report reads only their moments), on
tickets opened through the service while goals are off; one test drives the ticket services at
frozen moments instead, to count next-response cycles as production makes them. Every expected
figure below is worked out in the comments from the fixture's moments, never with the report's
own queries. The page's table is read from the HTML (``<tr data-group … data-goal …>``).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import zoneinfo
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import Team
from tests.factories import ALWAYS_DOCUMENT, sla_document
from tickets import reports, sla
from tickets.models import AgentProfile, Message, SlaClock, Ticket
from tickets.report_chart import MAX_X_LABELS, SeriesInput, trend_chart
from tickets.reports import GoalFigures, sla_compliance_report
from tickets.services import ticket_create, ticket_message_add

URL = "/reports/sla/"
CSV_URL = "/reports/sla/export.csv"
NOW = "2026-03-10T12:00:00Z"  # a Tuesday
WEEK = {"period": "custom", "start": "2026-03-02", "end": "2026-03-08"}  # Mon 2 – Sun 8 March
FR, NR, CL = sla.FIRST_RESPONSE, sla.NEXT_RESPONSE, sla.CLOSE
GOALS = ("First reply", "Next reply", "Close")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def ticket(subject: str, **fields: Any) -> Ticket:
    """A ticket without clocks (goals are off by default); the clocks are added by hand."""
    return ticket_create(
        subject=subject, body="Help", requester_email="c@example.com", now=at(NOW), **fields
    )


def clock(
    owner: Ticket,
    kind: str,
    *,
    due: str,
    completed: str | None = None,
    paused: str | None = None,
    cycle: int = 1,
) -> SlaClock:
    due_at = at(due)
    return SlaClock.objects.create(
        ticket=owner,
        kind=kind,
        cycle=cycle,
        goal_minutes=60,
        settings_version=1,
        started_at=due_at - datetime.timedelta(hours=1),
        due_at=due_at,
        completed_at=at(completed) if completed else None,
        completed_by="reply" if completed else "",
        paused_at=at(paused) if paused else None,
    )


@pytest.fixture
def week_data(db, agent) -> dict[str, Any]:
    """Five tickets with clocks around the week of Mon 2 – Sun 8 March 2026 (UTC moments).

    now = Tue 10 March 12:00Z.
    """
    billing = Team.objects.create(name="Billing", slug="billing")
    it = Team.objects.create(name="IT", slug="it")
    t1 = ticket("T1", team=billing, priority="urgent", source="email", owner=agent)
    t2 = ticket("T2", team=billing, priority="high", source="chat")
    t3 = ticket("T3", team=it, priority="urgent", source="phone", owner=agent)
    t4 = ticket("T4", priority="", source="email")
    t5 = ticket("T5", priority="", source="email")
    # T1 (Billing): first response on time on Mon 2; next response cycle 1 late (Tue 3), cycle 2
    # on time (Wed 4), cycle 3 still running and overdue since Thu 5; close due Mon 9 (after the
    # week: overdue now, but not in this week).
    clock(t1, FR, due="2026-03-02T10:00:00Z", completed="2026-03-02T09:30:00Z")
    clock(t1, NR, cycle=1, due="2026-03-03T12:00:00Z", completed="2026-03-03T13:00:00Z")
    clock(t1, NR, cycle=2, due="2026-03-04T12:00:00Z", completed="2026-03-04T11:00:00Z")
    clock(t1, NR, cycle=3, due="2026-03-05T12:00:00Z")
    clock(t1, CL, due="2026-03-09T12:00:00Z")
    # T2 (Billing): first response exactly at its due moment (on time, Fri 6); close was due
    # before the week (Sun 1) and completed late in it (Sat 7): counts once, as late, on Sat 7.
    clock(t2, FR, due="2026-03-06T10:00:00Z", completed="2026-03-06T10:00:00Z")
    clock(t2, CL, due="2026-03-01T12:00:00Z", completed="2026-03-07T09:00:00Z")
    # T3 (IT): first response due before the week, completed late on Mon 2; a next response
    # paused before its due moment (frozen Active: not a miss); close paused after its due
    # moment (frozen Overdue: a miss on Wed 4).
    clock(t3, FR, due="2026-02-27T10:00:00Z", completed="2026-03-02T08:00:00Z")
    clock(t3, NR, due="2026-03-03T10:00:00Z", paused="2026-03-03T09:00:00Z")
    clock(t3, CL, due="2026-03-04T10:00:00Z", paused="2026-03-05T10:00:00Z")
    # T4 (no team): first response completed after the week; close overdue since Sun 8 23:00.
    clock(t4, FR, due="2026-03-09T10:00:00Z", completed="2026-03-09T00:30:00Z")
    clock(t4, CL, due="2026-03-08T23:00:00Z")
    # T5 (no team): first response completed one second before the week.
    clock(t5, FR, due="2026-03-02T10:00:00Z", completed="2026-03-01T23:59:59Z")
    return {"billing": billing, "it": it, "tickets": [t1, t2, t3, t4, t5]}


# (completed, on time, late, running overdue, % met) per goal, as the table and the CSV show.
BY_TEAM = {
    "Billing": {
        "First reply": ("2", "2", "0", "0", "100"),  # T1, T2
        "Next reply": ("2", "1", "1", "1", "33.3"),  # T1's three cycles
        "Close": ("1", "0", "1", "0", "0"),  # T2 late; T1 due after the week
    },
    "IT": {
        "First reply": ("1", "0", "1", "0", "0"),  # T3 late
        "Next reply": ("0", "0", "0", "0", ""),  # paused before due: not judged
        "Close": ("0", "0", "0", "1", "0"),  # paused after due
    },
    "No team": {
        "First reply": ("0", "0", "0", "0", ""),  # T4 after, T5 before the week
        "Next reply": ("0", "0", "0", "0", ""),
        "Close": ("0", "0", "0", "1", "0"),  # T4
    },
    "Total": {
        "First reply": ("3", "2", "1", "0", "66.7"),
        "Next reply": ("2", "1", "1", "1", "33.3"),
        "Close": ("1", "0", "1", "2", "0"),
    },
}


class _TableReader(HTMLParser):
    """Rows of ``#breakdown-table`` and ``#trend-table`` as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.table = ""
        self.rows: dict[str, list[dict[str, Any]]] = {"breakdown-table": [], "trend-table": []}
        self.cell: list[str] | None = None
        self.row: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table" and values.get("id") in self.rows:
            self.table = values["id"] or ""
        elif tag == "tr" and self.table:
            self.row = {"attrs": values, "cells": []}
        elif tag in ("td", "th") and self.row is not None:
            self.cell = [] if values.get("scope") != "rowgroup" else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.table = ""
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row["cells"].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows[self.table].append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def read_tables(response: Any) -> dict[str, list[dict[str, Any]]]:
    reader = _TableReader()
    reader.feed(response.content.decode())
    return reader.rows


def trend_rows(response: Any) -> list[dict[str, Any]]:
    """The rows of the chart's data table (one per day or week)."""
    return [row for row in read_tables(response)["trend-table"] if "data-day" in row["attrs"]]


def table(response: Any) -> list[list[str]]:
    """The breakdown table as CSV-like rows: group, goal, counts, % met ("" for no data)."""
    rows = []
    for row in read_tables(response)["breakdown-table"]:
        if "data-group" not in row["attrs"]:
            continue
        cells = row["cells"]
        percent = cells[-1].removesuffix(" %") if cells[-1] != "no data" else ""
        rows.append([row["attrs"]["data-group"], *cells[:-1], percent])
    return rows


def as_dict(rows: list[list[str]]) -> dict[str, dict[str, tuple[str, ...]]]:
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for group, goal, *figures in rows:
        result.setdefault(group, {})[goal] = tuple(figures)
    return result


def parse_csv(response: Any) -> list[list[str]]:
    """The file as a spreadsheet or ``csv`` reads it (its byte-order mark is no cell's text)."""
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- The figures -------------------------------------------------------------------------------


def test_figures_per_goal_and_team(agent_client: Client, week_data, freeze) -> None:
    freeze(NOW)
    response = agent_client.get(URL, {**WEEK, "breakdown": "team"})
    assert response.status_code == 200
    assert as_dict(table(response)) == BY_TEAM
    # Groups in order, the empty group and then the total last.
    assert [row[0] for row in table(response)][::3] == ["Billing", "IT", "No team", "Total"]
    html = response.content.decode()
    assert "Mon 2 Mar 2026 – Sun 8 Mar 2026" in html
    # The summary cards carry the totals.
    assert "66.7 %" in html and "33.3 %" in html


def test_the_csv_equals_the_table(agent_client: Client, week_data, freeze) -> None:
    freeze(NOW)
    page = agent_client.get(URL, {**WEEK, "breakdown": "team"})
    export = agent_client.get(CSV_URL, {**WEEK, "breakdown": "team"})
    assert export.status_code == 200
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Content-Disposition"] == (
        'attachment; filename="sla-compliance_2026-03-02_2026-03-08_by-team.csv"'
    )
    rows = parse_csv(export)
    assert rows[0] == [
        "Team",
        "Goal",
        "Completed",
        "On time",
        "Late",
        "Running overdue",
        "% met",
    ]
    assert rows[1:] == table(page)
    assert as_dict(rows[1:]) == BY_TEAM
    # ?format=csv on the page's own URL gives the same file.
    same = agent_client.get(URL, {**WEEK, "breakdown": "team", "format": "csv"})
    assert same.status_code == 200
    assert same.content == export.content
    # The page's Download CSV button carries the same parameters.
    assert (
        'href="/reports/sla/export.csv?period=custom&amp;start=2026-03-02&amp;end=2026-03-08'
        "&amp;breakdown=team" in page.content.decode()
    )


def test_the_csv_is_in_the_viewers_language_with_figures_written_alike(
    agent_client: Client, week_data, freeze
) -> None:
    """Headers, goals and group names in Swedish for a Swedish reader; the figures are written
    as in English ("33.3", a comma between cells), so a file reads the same into any script."""
    freeze(NOW)
    params = {**WEEK, "breakdown": "team"}
    english = parse_csv(agent_client.get(CSV_URL, params, HTTP_ACCEPT_LANGUAGE="en"))
    swedish = parse_csv(agent_client.get(CSV_URL, params, HTTP_ACCEPT_LANGUAGE="sv"))
    assert swedish[0] == [
        "Team",
        "Mål",
        "Avslutade",
        "I tid",
        "För sent",
        "Pågående försenade",
        "% uppfyllt",
    ]
    assert english[0][-1] == "% met"
    assert swedish[1][:2] == ["Billing", "Första svar"]
    assert swedish[2][:2] == ["Billing", "Nästa svar"] and swedish[2][-1] == "33.3"
    assert [row[0] for row in swedish[1:]][::3] == ["Billing", "IT", "Inget team", "Totalt"]
    # Every figure as in English.
    assert [row[2:] for row in swedish[1:]] == [row[2:] for row in english[1:]]
    # A refused request says why in the reader's language.
    refused = agent_client.get(
        CSV_URL, {"period": "custom", "start": "2026-13-01"}, HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert refused.status_code == 400
    assert refused.content.decode().startswith("Ingen rapport: ")


def test_the_csv_starts_with_a_byte_order_mark_so_excel_reads_it_as_utf_8(
    agent_client: Client, week_data, freeze
) -> None:
    """Excel takes a CSV opened by double-click for the machine's legacy encoding unless it
    starts with the UTF-8 byte-order mark ("FÃ¶rsta svar" instead of "Första svar")."""
    freeze(NOW)
    params = {**WEEK, "breakdown": "team"}
    content = agent_client.get(CSV_URL, params, HTTP_ACCEPT_LANGUAGE="sv").content
    assert content.startswith(codecs.BOM_UTF8)
    rest = content[len(codecs.BOM_UTF8) :]
    assert codecs.BOM_UTF8 not in rest  # once, at the start
    rows = list(csv.reader(io.StringIO(rest.decode("utf-8"))))
    assert rows[0][:2] == ["Team", "Mål"] and rows[1][:2] == ["Billing", "Första svar"]
    assert len({len(row) for row in rows}) == 1  # every row of the table, cell for cell
    # The page's own ?format=csv is the same file.
    same = agent_client.get(URL, {**params, "format": "csv"}, HTTP_ACCEPT_LANGUAGE="sv")
    assert same.content == content


def test_the_csv_never_starts_a_cell_with_a_formula(agent_client: Client, freeze) -> None:
    team = Team.objects.create(name='=HYPERLINK("http://x")', slug="formula")
    owner = ticket("Formula", team=team)
    clock(owner, FR, due="2026-03-03T10:00:00Z", completed="2026-03-03T09:00:00Z")
    freeze(NOW)
    rows = parse_csv(agent_client.get(CSV_URL, WEEK))
    assert rows[1][:2] == ['\'=HYPERLINK("http://x")', "First reply"]
    html = agent_client.get(URL, WEEK).content.decode()
    assert 'data-group="=HYPERLINK(&quot;http://x&quot;)"' in html  # the page shows it as is


@pytest.mark.parametrize(
    ("breakdown", "expected"),
    [
        (
            "priority",
            {
                # urgent: T1 and T3; high: T2; no priority: T4, T5.
                "Urgent": {
                    "First reply": ("2", "1", "1", "0", "50"),
                    "Next reply": ("2", "1", "1", "1", "33.3"),
                    "Close": ("0", "0", "0", "1", "0"),
                },
                "High": {
                    "First reply": ("1", "1", "0", "0", "100"),
                    "Next reply": ("0", "0", "0", "0", ""),
                    "Close": ("1", "0", "1", "0", "0"),
                },
                "No priority": {
                    "First reply": ("0", "0", "0", "0", ""),
                    "Next reply": ("0", "0", "0", "0", ""),
                    "Close": ("0", "0", "0", "1", "0"),
                },
            },
        ),
        (
            "source",
            {
                # email: T1, T4, T5; chat: T2; phone: T3.
                "Email": {
                    "First reply": ("1", "1", "0", "0", "100"),
                    "Next reply": ("2", "1", "1", "1", "33.3"),
                    "Close": ("0", "0", "0", "1", "0"),
                },
                "Chat": {
                    "First reply": ("1", "1", "0", "0", "100"),
                    "Next reply": ("0", "0", "0", "0", ""),
                    "Close": ("1", "0", "1", "0", "0"),
                },
                "Phone": {
                    "First reply": ("1", "0", "1", "0", "0"),
                    "Next reply": ("0", "0", "0", "0", ""),
                    "Close": ("0", "0", "0", "1", "0"),
                },
            },
        ),
        (
            "owner",
            {
                # agent: T1, T3; unassigned: T2, T4, T5.
                "agent": {
                    "First reply": ("2", "1", "1", "0", "50"),
                    "Next reply": ("2", "1", "1", "1", "33.3"),
                    "Close": ("0", "0", "0", "1", "0"),
                },
                "Unassigned": {
                    "First reply": ("1", "1", "0", "0", "100"),
                    "Next reply": ("0", "0", "0", "0", ""),
                    "Close": ("1", "0", "1", "1", "0"),
                },
            },
        ),
        (
            "pipeline",
            {
                "Support": {
                    "First reply": ("3", "2", "1", "0", "66.7"),
                    "Next reply": ("2", "1", "1", "1", "33.3"),
                    "Close": ("1", "0", "1", "2", "0"),
                },
            },
        ),
    ],
)
def test_breakdowns(
    agent_client: Client, week_data, freeze, breakdown: str, expected: dict[str, Any]
) -> None:
    freeze(NOW)
    response = agent_client.get(URL, {**WEEK, "breakdown": breakdown})
    assert response.status_code == 200
    assert as_dict(table(response)) == {**expected, "Total": BY_TEAM["Total"]}
    assert list(as_dict(table(response))) == [*expected, "Total"]  # in this order


def test_a_team_filter_counts_only_that_teams_tickets(
    agent_client: Client, week_data, freeze
) -> None:
    freeze(NOW)
    response = agent_client.get(URL, {**WEEK, "team": "billing", "breakdown": "priority"})
    assert response.status_code == 200
    # Billing: T1 (urgent) and T2 (high) only.
    assert as_dict(table(response)) == {
        "Urgent": {
            "First reply": ("1", "1", "0", "0", "100"),
            "Next reply": ("2", "1", "1", "1", "33.3"),
            "Close": ("0", "0", "0", "0", ""),
        },
        "High": {
            "First reply": ("1", "1", "0", "0", "100"),
            "Next reply": ("0", "0", "0", "0", ""),
            "Close": ("1", "0", "1", "0", "0"),
        },
        "Total": BY_TEAM["Billing"],
    }
    assert "· Billing ·" in response.content.decode()
    export = agent_client.get(CSV_URL, {**WEEK, "team": "billing", "breakdown": "priority"})
    assert (
        'filename="sla-compliance_2026-03-02_2026-03-08_billing_by-priority.csv"'
        in (export["Content-Disposition"])
    )
    assert parse_csv(export)[1:] == table(response)


def test_the_daily_trend(agent_client: Client, week_data, freeze) -> None:
    freeze(NOW)
    response = agent_client.get(URL, WEEK)
    trend = {row["attrs"]["data-day"]: row["cells"][1:] for row in trend_rows(response)}
    no = "no data"
    # A late completion by the day it completed, a running overdue clock by its due day.
    assert trend == {
        "2026-03-02": ["50 % (1/2)", no, no],  # T1 on time, T3 late
        "2026-03-03": [no, "0 % (0/1)", no],  # T1 cycle 1 late
        "2026-03-04": [no, "100 % (1/1)", "0 % (0/1)"],  # T1 cycle 2; T3 close paused overdue
        "2026-03-05": [no, "0 % (0/1)", no],  # T1 cycle 3 running overdue
        "2026-03-06": ["100 % (1/1)", no, no],  # T2 exactly at its due moment
        "2026-03-07": [no, no, "0 % (0/1)"],  # T2 close late
        "2026-03-08": [no, no, "0 % (0/1)"],  # T4 close overdue since 23:00
    }
    html = response.content.decode()
    assert "% met per day" in html
    # The chart: one titled point per day with data, per goal; gaps where there is none.
    assert html.count("<title>First reply, ") == 2
    assert html.count("<title>Next reply, ") == 3
    assert html.count("<title>Close, ") == 3
    assert (
        "<title>First reply, Mon 2 Mar 2026: 50 % met (1 of 2: 1 late, 0 running overdue)"
        "</title>" in html
    )
    assert 'aria-labelledby="trend-title trend-desc"' in html
    assert "cdn" not in html.lower()


def test_a_longer_period_trends_by_week(agent_client: Client, week_data, freeze) -> None:
    freeze(NOW)
    # Wed 11 Feb – Sun 15 March: 33 days, so weeks (Monday to Sunday), the first one partial.
    response = agent_client.get(
        URL, {"period": "custom", "start": "2026-02-11", "end": "2026-03-15"}
    )
    assert response.status_code == 200
    assert "% met per week" in response.content.decode()
    rows = trend_rows(response)
    assert [row["attrs"]["data-day"] for row in rows] == [
        "2026-02-11",
        "2026-02-16",
        "2026-02-23",
        "2026-03-02",
        "2026-03-09",
    ]
    assert rows[0]["cells"][0] == "Week of 11 Feb 2026 (11 Feb–15 Feb)"
    cells = {row["attrs"]["data-day"]: row["cells"][1:] for row in rows}
    no = "no data"
    assert cells["2026-02-11"] == [no, no, no]
    assert cells["2026-02-16"] == [no, no, no]
    # Week of 23 Feb: T5's first response, on time on Sun 1 March 23:59:59. T3's first response,
    # due Fri 27 Feb, was completed (late) on Mon 2 March: it counts only there, not where due.
    assert cells["2026-02-23"] == ["100 % (1/1)", no, no]
    # Week of 2 March: T1 on time, T3 late, T2 on time. Next: T1's cycles late, on time,
    # overdue. Close: T2 late, T3 (paused) and T4 overdue.
    assert cells["2026-03-02"] == ["66.7 % (2/3)", "33.3 % (1/3)", "0 % (0/3)"]
    # Week of 9 March (to Sun 15): T4's first response on time (Mon 9 00:30); T1's close overdue
    # since Mon 9.
    assert cells["2026-03-09"] == ["100 % (1/1)", no, "0 % (0/1)"]
    total = as_dict(table(response))["Total"]
    assert total == {
        "First reply": ("5", "4", "1", "0", "80"),
        "Next reply": ("2", "1", "1", "1", "33.3"),
        "Close": ("1", "0", "1", "3", "0"),
    }


# --- Next-response cycles, through the services -------------------------------------------------


def test_next_response_cycles_are_counted_one_by_one(
    agent_client: Client, sla_settings, freeze
) -> None:
    # 24/7 in UTC: first response 60 min, next response 120 min, close 1440 min.
    sla_settings(sla_document(ALWAYS_DOCUMENT))
    created = ticket_create(
        subject="Cycles", body="Hi", requester_email="c@example.com", now=at("2026-03-02T08:00:00Z")
    )

    def say(moment: str, author: str) -> None:
        ticket_message_add(ticket_id=created.pk, body="…", author_kind=author, now=at(moment))

    say("2026-03-02T08:30:00Z", Message.Author.AGENT)  # first response on time (due 09:00)
    say("2026-03-02T09:00:00Z", Message.Author.CUSTOMER)  # cycle 1, due 11:00
    say("2026-03-02T12:00:00Z", Message.Author.AGENT)  # cycle 1 late
    say("2026-03-02T13:00:00Z", Message.Author.CUSTOMER)  # cycle 2, due 15:00
    say("2026-03-02T13:30:00Z", Message.Author.CUSTOMER)  # does not restart it
    say("2026-03-02T14:00:00Z", Message.Author.AGENT)  # cycle 2 on time
    say("2026-03-02T15:00:00Z", Message.Author.CUSTOMER)  # cycle 3, due 17:00
    ticket_message_add(
        ticket_id=created.pk,
        body="note",
        author_kind=Message.Author.AGENT,
        is_internal=True,
        now=at("2026-03-02T16:00:00Z"),
    )  # an internal note completes nothing
    say("2026-03-02T16:30:00Z", Message.Author.AGENT)  # cycle 3 on time
    say("2026-03-02T16:45:00Z", Message.Author.CUSTOMER)  # cycle 4, due 18:45, never answered
    assert SlaClock.objects.filter(ticket=created, kind=NR).count() == 4
    freeze("2026-03-03T12:00:00Z")  # close was due Tue 3 08:00: running overdue

    response = agent_client.get(
        URL, {"period": "custom", "start": "2026-03-02", "end": "2026-03-03"}
    )
    assert as_dict(table(response))["Total"] == {
        "First reply": ("1", "1", "0", "0", "100"),
        "Next reply": ("3", "2", "1", "1", "50"),
        "Close": ("0", "0", "0", "1", "0"),
    }
    # The next day alone: only the close clock was due then.
    response = agent_client.get(
        URL, {"period": "custom", "start": "2026-03-03", "end": "2026-03-03"}
    )
    assert as_dict(table(response))["Total"]["Next reply"] == ("0", "0", "0", "0", "")
    assert as_dict(table(response))["Total"]["Close"] == ("0", "0", "0", "1", "0")


def test_a_late_completion_counts_where_it_completed_not_where_it_was_due(
    agent_client: Client, freeze
) -> None:
    late = ticket("Late")
    clock(late, FR, due="2026-03-03T10:00:00Z")  # still running: overdue since Tue 3
    freeze("2026-03-05T12:00:00Z")
    first_days = {"period": "custom", "start": "2026-03-02", "end": "2026-03-04"}
    assert as_dict(table(agent_client.get(URL, first_days)))["Total"]["First reply"] == (
        "0",
        "0",
        "0",
        "1",
        "0",
    )
    SlaClock.objects.filter(ticket=late).update(completed_at=at("2026-03-12T09:00:00Z"))
    freeze("2026-03-13T12:00:00Z")
    # Completed late on Thu 12: no longer a running miss on Tue 3 …
    assert "No data" in agent_client.get(URL, first_days).content.decode()
    # … but a late completion on Thu 12, once.
    later = {"period": "custom", "start": "2026-03-02", "end": "2026-03-13"}
    assert as_dict(table(agent_client.get(URL, later)))["Total"]["First reply"] == (
        "1",
        "0",
        "1",
        "0",
        "0",
    )


# --- Time zones --------------------------------------------------------------------------------


@pytest.fixture
def edge_clocks(db) -> None:
    """Clocks at 23:30 UTC around the week of Mon 2 – Sun 8 March (Stockholm: 00:30 next day)."""
    owner = ticket("Edges")
    clock(owner, FR, due="2026-03-09T10:00:00Z", completed="2026-03-08T23:30:00Z")  # on time
    other = ticket("Edges 2")
    clock(other, FR, due="2026-03-01T10:00:00Z", completed="2026-03-01T23:30:00Z")  # late
    third = ticket("Edges 3")
    clock(third, CL, due="2026-03-08T23:30:00Z")  # running, overdue


def test_days_end_at_midnight_in_the_viewers_time_zone(
    agent_client: Client, agent, edge_clocks, freeze
) -> None:
    freeze(NOW)
    AgentProfile.objects.create(user=agent, timezone="UTC")
    utc_total = as_dict(table(agent_client.get(URL, WEEK)))["Total"]
    # In UTC: Sun 8 23:30 is the last day's, Sun 1 23:30 is before the week.
    assert utc_total["First reply"] == ("1", "1", "0", "0", "100")
    assert utc_total["Close"] == ("0", "0", "0", "1", "0")

    AgentProfile.objects.filter(user=agent).update(timezone="Europe/Stockholm")
    response = agent_client.get(URL, WEEK)
    stockholm_total = as_dict(table(response))["Total"]
    # In Stockholm (UTC+1): Sun 8 23:30Z is Mon 9 00:30, after the week; Sun 1 23:30Z is Mon 2
    # 00:30, the first day's; the close clock was due on Mon 9 local.
    assert stockholm_total["First reply"] == ("1", "0", "1", "0", "0")
    assert stockholm_total["Close"] == ("0", "0", "0", "0", "")
    assert "Europe/Stockholm" in response.content.decode()
    days = {row["attrs"]["data-day"]: row["cells"][1] for row in trend_rows(response)}
    assert days["2026-03-02"] == "0 % (0/1)"


def test_without_a_profile_the_schedules_zone_counts(
    agent_client: Client, sla_settings, edge_clocks, freeze
) -> None:
    sla_settings(sla_document(ALWAYS_DOCUMENT, timezone="Europe/Stockholm", goals_enabled=False))
    freeze(NOW)
    total = as_dict(table(agent_client.get(URL, WEEK)))["Total"]
    assert total["First reply"] == ("1", "0", "1", "0", "0")


def test_a_day_across_the_daylight_saving_change(agent_client: Client, agent, freeze) -> None:
    AgentProfile.objects.create(user=agent, timezone="Europe/Stockholm")
    owner = ticket("DST")
    # Sun 29 March 2026 is 23 hours long in Stockholm: 28 Mar 23:00Z to 29 Mar 22:00Z.
    clock(owner, FR, due="2026-03-30T10:00:00Z", completed="2026-03-28T23:30:00Z")  # 29th 00:30
    clock(owner, CL, due="2026-03-30T10:00:00Z", completed="2026-03-29T22:30:00Z")  # 30th 00:30
    other = ticket("DST 2")
    clock(other, FR, due="2026-03-30T10:00:00Z", completed="2026-03-28T22:30:00Z")  # 28th 23:30
    freeze("2026-04-01T12:00:00Z")
    total = as_dict(
        table(
            agent_client.get(URL, {"period": "custom", "start": "2026-03-29", "end": "2026-03-29"})
        )
    )["Total"]
    assert total["First reply"] == ("1", "1", "0", "0", "100")
    assert total["Close"] == ("0", "0", "0", "0", "")


def test_the_preset_periods_end_today_in_the_viewers_zone(
    agent_client: Client, agent, freeze
) -> None:
    AgentProfile.objects.create(user=agent, timezone="Europe/Stockholm")
    owner = ticket("Today")
    clock(owner, FR, due="2026-03-10T23:50:00Z", completed="2026-03-10T23:40:00Z")  # 11th local
    clock(owner, CL, due="2026-03-04T10:00:00Z", completed="2026-03-04T12:00:00Z")  # 7 days ago
    freeze("2026-03-10T23:45:00Z")  # Wed 11 March 00:45 in Stockholm
    response = agent_client.get(URL)  # last 7 days by default: Thu 5 – Wed 11
    html = response.content.decode()
    assert "Thu 5 Mar 2026 – Wed 11 Mar 2026" in html
    assert as_dict(table(response))["Total"]["First reply"] == ("1", "1", "0", "0", "100")
    assert as_dict(table(response))["Total"]["Close"] == ("0", "0", "0", "0", "")
    assert 'value="2026-03-05"' in html and 'value="2026-03-11"' in html
    month = agent_client.get(URL, {"period": "30"})
    assert "Tue 10 Feb 2026 – Wed 11 Mar 2026" in month.content.decode()
    assert as_dict(table(month))["Total"]["Close"] == ("1", "0", "1", "0", "0")


# --- Empty periods, bad input, permissions ------------------------------------------------------


def test_an_empty_period_says_no_data(agent_client: Client, week_data, freeze) -> None:
    freeze(NOW)
    params = {"period": "custom", "start": "2025-01-01", "end": "2025-01-31"}
    response = agent_client.get(URL, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No data" in html
    assert 'id="breakdown-table"' not in html
    rows = parse_csv(agent_client.get(CSV_URL, params))
    assert rows[1:] == [
        ["Total", "First reply", "0", "0", "0", "0", ""],
        ["Total", "Next reply", "0", "0", "0", "0", ""],
        ["Total", "Close", "0", "0", "0", "0", ""],
    ]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"period": "custom", "start": "2026-02-30", "end": "2026-03-08"}, "start", "real date"),
        ({"period": "custom", "start": "yesterday", "end": "2026-03-08"}, "start", "YYYY-MM-DD"),
        ({"period": "custom", "start": "2026-03-08", "end": "2026-03-01"}, "end", "before"),
        ({"period": "custom", "start": "", "end": "2026-03-01"}, "start", "first day"),
        ({"period": "custom"}, "end", "last day"),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-03-01"}, "end", "at most"),
        ({"period": "custom", "start": "0001-01-01", "end": "0001-01-02"}, "start", "from 2000"),
        ({"period": "custom", "start": "2026-03-01", "end": "9999-12-31"}, "end", "to 2099"),
        ({"period": "90"}, "period", "valid choice"),
        ({"team": "nobody"}, "team", "No such team"),
        ({"breakdown": "mood"}, "breakdown", "Pick team, priority"),
    ],
)
def test_bad_input_gets_a_clear_message(
    agent_client: Client, week_data, freeze, params: dict[str, str], field: str, message: str
) -> None:
    freeze(NOW)
    response = agent_client.get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "No report: fix the marked field" in html
    assert f'id="id_{field}-error">' in html
    error = html.split(f'id="id_{field}-error">', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert 'id="breakdown-table"' not in html
    export = agent_client.get(CSV_URL, params)
    assert export.status_code == 400
    assert export["Content-Type"] == "text/plain; charset=utf-8"
    assert message in export.content.decode()
    assert agent_client.get(URL, {**params, "format": "csv"}).status_code == 400


def test_a_preset_period_ignores_the_date_inputs(agent_client: Client, week_data, freeze) -> None:
    freeze(NOW)
    response = agent_client.get(URL, {"period": "7", "start": "junk", "end": ""})
    assert response.status_code == 200
    assert "Wed 4 Mar 2026 – Tue 10 Mar 2026" in response.content.decode()


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_who_may_see_the_report(
    client: Client, customer_user, agent, super_admin, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    client.force_login(customer_user)
    assert client.get(url).status_code == 403
    client.force_login(agent)
    assert client.get(url).status_code == 200
    client.force_login(super_admin)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_agents_see_a_reports_link_in_the_menu(agent_client: Client, client, customer_user) -> None:
    queue = agent_client.get("/tickets/").content.decode()
    assert 'href="/reports/sla/">Reports</a>' in queue
    report = agent_client.get(URL).content.decode()
    assert 'href="/reports/sla/" aria-current="page">Reports</a>' in report
    client.force_login(customer_user)
    page = client.get("/request/").content.decode()
    assert "visitor" in page  # signed in, with the menu bar
    assert "/reports/sla/" not in page


def test_the_definitions_are_on_the_page(agent_client: Client) -> None:
    html = agent_client.get(URL).content.decode()
    assert "on time ÷ (on time + late + running overdue)" in html
    assert "counts only where it completed" in html
    assert "in the period in which its due moment fell" in html


# --- A fixed number of queries -----------------------------------------------------------------


def many_tickets(count: int, *, teams: list[Team], agent: Any) -> None:
    """``count`` tickets, each with a clock on time, one late, one overdue and one running."""
    for index in range(count):
        owner = ticket(
            f"Load {index}",
            team=teams[index % len(teams)],
            priority=("low", "high", "urgent")[index % 3],
            owner=agent if index % 2 else None,
        )
        clock(owner, FR, due="2026-03-03T10:00:00Z", completed="2026-03-03T09:00:00Z")
        clock(owner, NR, due="2026-03-04T10:00:00Z", completed="2026-03-04T11:00:00Z")
        clock(owner, NR, cycle=2, due="2026-03-05T10:00:00Z")
        clock(owner, CL, due="2026-03-20T10:00:00Z")


@pytest.mark.parametrize("breakdown", ["team", "owner"])
def test_the_report_runs_the_same_queries_for_3_or_30_tickets(
    agent_client: Client, agent, freeze, breakdown: str, django_assert_num_queries
) -> None:
    freeze(NOW)
    teams = [Team.objects.create(name=f"Team {n}", slug=f"team-{n}") for n in range(5)]
    params = {**WEEK, "breakdown": breakdown}
    many_tickets(3, teams=teams, agent=agent)
    agent_client.get(URL, params)  # warm the settings cache
    with CaptureQueriesContext(connection) as few:
        small = agent_client.get(URL, params)
    assert as_dict(table(small))["Total"]["Next reply"] == ("3", "0", "3", "3", "0")
    many_tickets(27, teams=teams, agent=agent)
    with django_assert_num_queries(len(few)):
        large = agent_client.get(URL, params)
    assert as_dict(table(large))["Total"]["Next reply"] == ("30", "0", "30", "30", "0")
    # The CSV has no navigation bar, so not its "may use the admin" check.
    with django_assert_num_queries(len(few) - 1):
        agent_client.get(CSV_URL, params)
    # session, user, the viewer's zone (their profile's or the schedule's, one query), teams,
    # the report's two aggregates, and whether the viewer has any permission (the navigation's
    # Admin link)
    assert len(few) == 7


def test_the_report_selector_is_two_aggregate_queries(
    db, agent, freeze, django_assert_num_queries
) -> None:
    teams = [Team.objects.create(name=f"Team {n}", slug=f"team-{n}") for n in range(3)]
    many_tickets(12, teams=teams, agent=agent)
    with django_assert_num_queries(2) as captured:
        report = sla_compliance_report(
            first_day=datetime.date(2026, 3, 2),
            last_day=datetime.date(2026, 3, 8),
            zone=zoneinfo.ZoneInfo("Europe/Stockholm"),
            now=at(NOW),
            breakdown="team",
        )
    assert all("GROUP BY" in query["sql"] for query in captured.captured_queries)
    assert [group.label for group in report.groups] == ["Team 0", "Team 1", "Team 2"]
    assert report.total.of(FR) == GoalFigures(on_time=12)
    assert report.total.of(NR) == GoalFigures(late=12, running_overdue=12)
    assert report.total.of(CL) == GoalFigures()


@pytest.mark.parametrize(
    ("first_day", "last_day"),
    [
        (datetime.date(2026, 3, 2), datetime.date(2026, 3, 8)),  # days
        (datetime.date(2026, 2, 11), datetime.date(2026, 3, 15)),  # weeks, clipped at both ends
        (datetime.date(2026, 3, 2), datetime.date(2026, 3, 2)),  # one day: one bucket
        (datetime.date(2026, 1, 1), datetime.date(2026, 4, 30)),  # weeks across the DST change
    ],
)
def test_both_ways_of_finding_the_trend_bucket_agree(
    week_data, monkeypatch, first_day: datetime.date, last_day: datetime.date
) -> None:
    """The database's own truncation (PostgreSQL) and the boundary comparison (SQLite) put
    every clock in the same local day or week, whichever database runs the test."""
    owner = ticket("DST edges")
    clock(owner, FR, due="2026-03-30T10:00:00Z", completed="2026-03-29T22:30:00Z")  # Mon 30
    clock(owner, CL, due="2026-03-28T23:30:00Z")  # Sun 29 00:30 local, overdue
    results = []
    for native in (True, False):
        monkeypatch.setattr(reports, "_truncates_natively", lambda native=native: native)
        report = sla_compliance_report(
            first_day=first_day,
            last_day=last_day,
            zone=zoneinfo.ZoneInfo("Europe/Stockholm"),
            now=at(NOW),
        )
        results.append([(b.first_day, b.last_day, b.figures) for b in report.trend])
    assert results[0] == results[1]
    assert sum(len(figures) for _, _, figures in results[0]) > 0


# --- Pure pieces -------------------------------------------------------------------------------


def test_goal_figures() -> None:
    assert GoalFigures().percent_met is None
    assert GoalFigures().percent_text == ""
    figures = GoalFigures(on_time=2, late=1, running_overdue=0)
    assert (figures.completed, figures.judged, figures.percent_text) == (3, 3, "66.7")
    assert GoalFigures(on_time=1).percent_text == "100"
    assert GoalFigures(running_overdue=4).percent_text == "0"
    assert figures + GoalFigures(running_overdue=1) == GoalFigures(2, 1, 1)


def test_the_chart_places_points_and_breaks_lines_at_gaps() -> None:
    chart = trend_chart(
        labels=["a", "b", "c", "d"],
        series=[
            SeriesInput(
                key="s",
                name="S",
                color="#000",
                marker="circle",
                values=[100.0, 0.0, None, 50.0],
                titles=["t1", "t2", "t3", "t4"],
            )
        ],
    )
    (series,) = chart.series
    assert [p.title for p in series.points] == ["t1", "t2", "t4"]
    top, bottom = chart.top, chart.bottom
    assert [p.y for p in series.points] == [top, bottom, (top + bottom) / 2]
    band = (chart.right - chart.left) / 4
    assert [p.x for p in series.points] == [
        chart.left + band / 2,
        chart.left + 1.5 * band,
        chart.left + 3.5 * band,
    ]
    assert len(series.segments) == 1  # a, b joined; d stands alone after the gap
    assert series.segments[0].count(",") == 2
    assert [t.label for t in chart.y_ticks] == ["0 %", "25 %", "50 %", "75 %", "100 %"]


def test_the_chart_thins_out_crowded_labels() -> None:
    labels = [f"d{n}" for n in range(100)]
    chart = trend_chart(labels=labels, series=[])
    assert len(chart.x_ticks) <= MAX_X_LABELS
    assert chart.x_ticks[0].label == "d0"
    assert not chart.has_points
