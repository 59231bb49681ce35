"""The agents' pages through their real URLs: the queue, a ticket, the profile.

SLA settings are saved through the real service; tickets are opened, answered and moved through the
ticket services at frozen moments, so every clock is what production would hold. The queue's rows
are read from the HTML (``<tr data-ticket="…">``), in the order the page shows them.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import Pipeline, Stage, Team
from settings_app.selectors import sla_config_cache_clear
from tests.conftest import PASSWORD
from tickets.display import email_wrap
from tickets.models import AgentProfile, Message, SlaClock, Ticket
from tickets.services import ticket_create, ticket_message_add, ticket_update

User = get_user_model()
NOW = "2026-03-03T12:00:00Z"  # a Tuesday; Stockholm is on CET (UTC+1)


def goals(
    first: tuple[int, int | None] | None = (60, 15),
    next_: tuple[int, int | None] | None = (120, 30),
    close: tuple[int, int | None] | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {"value": None, "enabled": True}
    for kind, goal in (("first_response", first), ("next_response", next_), ("close", close)):
        row[f"{kind}_minutes"] = goal[0] if goal else None
        row[f"{kind}_due_soon_minutes"] = goal[1] if goal else None
    return row


def document(*, timezone: str = "UTC", **goal_kwargs: Any) -> dict[str, Any]:
    """24/7 in ``timezone`` (plain clock arithmetic), one set of goals for all tickets."""
    return {
        "applies": "always",
        "timezone": timezone,
        "working_hours": {},
        "holidays": [],
        "pause_statuses": ["support/waiting-on-customer"],
        "goals_enabled": True,
        "scope": "all",
        "property": None,
        "goals": [goals(**goal_kwargs)],
    }


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def open_ticket(
    created: str, *, subject: str = "Printer on fire", body: str = "Help!", **fields: Any
) -> Ticket:
    return ticket_create(
        subject=subject,
        body=body,
        requester_email=fields.pop("requester_email", "ana@acme.com"),
        now=at(created),
        **fields,
    )


def queue_ids(response: Any) -> list[int]:
    """Ticket ids of the queue's rows, in the order shown."""
    return [int(pk) for pk in re.findall(r'<tr data-ticket="(\d+)"', response.content.decode())]


def clock_of(ticket: Ticket, kind: str) -> SlaClock:
    return SlaClock.objects.filter(ticket=ticket, kind=kind).order_by("-cycle").first()


@pytest.fixture
def stockholm(sla_settings) -> None:
    sla_settings(document(timezone="Europe/Stockholm"))


@pytest.fixture
def billing(db) -> Team:
    return Team.objects.create(name="Billing", slug="billing")


@pytest.fixture
def lee(db) -> Any:
    return User.objects.create_user("lee", "lee@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def mixed(stockholm, freeze, agent, lee, billing) -> dict[str, Ticket]:
    """Four tickets whose first-response clocks are, at NOW (12:00Z): overdue, due soon, active;
    and one answered and closed (every clock completed)."""
    freeze(NOW)
    tickets = {
        # First reply due 11:30: overdue. Owned by the viewer, urgent, billing.
        "overdue": open_ticket(
            "2026-03-03T10:30:00Z",
            subject="Overdue invoice",
            owner=agent,
            priority="urgent",
            team=billing,
        ),
        # Due 12:10, due soon from 11:55. Owned by lee.
        "due_soon": open_ticket(
            "2026-03-03T11:10:00Z", subject="Due soon VPN", owner=lee, priority="high"
        ),
        # Due 12:50, due soon from 12:35: active. Unassigned.
        "active": open_ticket(
            "2026-03-03T11:50:00Z",
            subject="Active password",
            priority="low",
            requester_email="bo@shop.se",
        ),
        "closed": open_ticket("2026-03-03T09:00:00Z", subject="Closed refund", team=billing),
    }
    closed = tickets["closed"]
    ticket_message_add(
        ticket_id=closed.pk, body="Done.", author_kind="agent", author=agent, now=at(NOW)
    )
    ticket_update(
        ticket_id=closed.pk,
        now=at(NOW),
        stage=Stage.objects.get(pipeline__slug="support", slug="closed"),
    )
    return {name: Ticket.objects.get(pk=t.pk) for name, t in tickets.items()}


# --- Permissions -----------------------------------------------------------------------------

PAGES = ["/tickets/", "/tickets/rows/", "/tickets/{id}/", "/tickets/profile/"]
POSTS = [
    "/tickets/{id}/reply/",
    "/tickets/{id}/properties/",
    "/tickets/{id}/close/",
    "/tickets/{id}/reopen/",
]


@pytest.fixture
def any_ticket(db) -> Ticket:
    return open_ticket("2026-03-03T10:00:00Z")


@pytest.mark.parametrize("url", PAGES + POSTS)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, any_ticket: Ticket, url: str):
    path = url.format(id=any_ticket.pk)
    response = client.post(path) if url in POSTS else client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", PAGES + POSTS)
def test_signed_in_non_agents_are_refused(
    client: Client, customer_user, any_ticket: Ticket, url: str
):
    client.force_login(customer_user)
    path = url.format(id=any_ticket.pk)
    response = client.post(path) if url in POSTS else client.get(path)
    assert response.status_code == 403
    assert Message.objects.filter(ticket=any_ticket).count() == 1


@pytest.mark.parametrize("role", ["agent", "super_admin"])
@pytest.mark.parametrize("url", PAGES)
def test_agents_and_super_admins_see_the_pages(
    client: Client, request: pytest.FixtureRequest, any_ticket: Ticket, role: str, url: str
):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url.format(id=any_ticket.pk))
    assert response.status_code == 200


def test_an_inactive_staff_user_is_not_an_agent(client: Client, agent, any_ticket: Ticket):
    client.force_login(agent)
    agent.is_active = False
    agent.save()
    assert client.get("/tickets/").status_code == 302


@pytest.mark.parametrize("url", POSTS)
def test_actions_take_posts_only(agent_client: Client, any_ticket: Ticket, url: str):
    assert agent_client.get(url.format(id=any_ticket.pk)).status_code == 405


def test_an_unknown_ticket_is_404(agent_client: Client, db):
    assert agent_client.get("/tickets/999999/").status_code == 404
    assert agent_client.post("/tickets/999999/reply/", {"body": "x"}).status_code == 404


def test_posts_need_the_csrf_token(agent, any_ticket: Ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    data = {"visibility": "public", "body": "Hello"}
    response = client.post(f"/tickets/{any_ticket.pk}/reply/", data)
    assert response.status_code == 403
    assert Message.objects.filter(ticket=any_ticket).count() == 1


# --- The queue: filters, saved views, sort, paging ----------------------------------------------


def test_the_queue_lists_open_tickets_nearest_due_first(agent_client: Client, mixed):
    response = agent_client.get("/tickets/")
    assert queue_ids(response) == [mixed[k].pk for k in ("overdue", "due_soon", "active")]


def test_tickets_without_a_running_clock_come_last(agent_client: Client, mixed, agent):
    answered = open_ticket("2026-03-03T11:58:00Z", subject="Answered")
    ticket_message_add(
        ticket_id=answered.pk, body="On it.", author_kind="agent", author=agent, now=at(NOW)
    )
    ids = queue_ids(agent_client.get("/tickets/"))
    assert ids[-1] == answered.pk
    assert ids[:3] == [mixed[k].pk for k in ("overdue", "due_soon", "active")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sla_status": "overdue"}, ["overdue"]),
        ({"sla_status": "due_soon"}, ["due_soon"]),
        ({"sla_status": "active"}, ["active"]),
        ({"sla_status": "completed", "stage": "any"}, ["closed"]),
        ({"sla_status": "completed"}, []),  # the default stage filter is "open"
        ({"team": "billing"}, ["overdue"]),
        ({"team": "billing", "stage": "any"}, ["overdue", "closed"]),
        ({"priority": "high"}, ["due_soon"]),
        ({"owner": "me"}, ["overdue"]),
        ({"owner": "none"}, ["active"]),
        ({"owner": "lee"}, ["due_soon"]),
        ({"owner": "agent"}, ["overdue"]),  # the viewer by name, as a shared link names them
        ({"stage": "closed"}, ["closed"]),
        ({"stage": "any"}, ["overdue", "due_soon", "active", "closed"]),
        ({"stage": "new"}, ["overdue", "due_soon", "active"]),
        ({"q": "vpn"}, ["due_soon"]),
        ({"q": "SHOP.se"}, ["active"]),
        ({"owner": "me", "sla_status": "due_soon"}, []),
    ],
)
def test_each_filter(agent_client: Client, mixed, params: dict, expected: list[str]):
    response = agent_client.get("/tickets/", params)
    assert response.status_code == 200
    assert queue_ids(response) == [mixed[name].pk for name in expected]


def test_unknown_filter_values_are_ignored_not_an_error(agent_client: Client, mixed):
    params = {"team": "nope", "sla_status": "purple", "per_page": "7", "page": "x", "stage": "?"}
    response = agent_client.get("/tickets/", params)
    assert response.status_code == 200
    assert queue_ids(response) == [mixed[k].pk for k in ("overdue", "due_soon", "active")]


@pytest.mark.parametrize(
    ("label", "params", "expected"),
    [
        ("My tickets", {"owner": "me"}, ["overdue"]),
        ("Unassigned", {"owner": "none"}, ["active"]),
        ("Due soon", {"sla_status": "due_soon"}, ["due_soon"]),
        ("Overdue", {"sla_status": "overdue"}, ["overdue"]),
    ],
)
def test_saved_views_link_to_their_filters_and_show_as_active(
    agent_client: Client, mixed, label: str, params: dict, expected: list[str]
):
    page = agent_client.get("/tickets/").content.decode()
    link = re.search(
        rf'<a href="([^"]+)" class="btn btn-sm btn-outline-secondary">\s*<i[^>]*></i>{label}', page
    )
    assert link is not None, label
    url = link.group(1).replace("&amp;", "&")
    response = agent_client.get(url)
    assert queue_ids(response) == [mixed[name].pk for name in expected]
    active = re.findall(
        r'class="btn btn-sm btn-primary" aria-current="page">\s*<i[^>]*></i>([^<]+)<',
        response.content.decode(),
    )
    assert [text.strip() for text in active] == [label]


def test_no_saved_view_is_active_on_the_plain_queue(agent_client: Client, mixed):
    assert (
        'aria-current="page">'
        not in agent_client.get("/tickets/").content.decode().split("<table")[0]
    )


def test_pagination(agent_client: Client, stockholm, freeze):
    freeze(NOW)
    created = [open_ticket(f"2026-03-03T11:{minute:02d}:00Z") for minute in range(30)]
    # Oldest first: the nearest due moments belong to the oldest tickets.
    expected = [t.pk for t in created]
    first = agent_client.get("/tickets/")
    assert queue_ids(first) == expected[:25]
    assert "1–25 of 30 tickets" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    second = agent_client.get("/tickets/", {"page": 2})
    assert queue_ids(second) == expected[25:]
    assert queue_ids(agent_client.get("/tickets/", {"per_page": 50})) == expected
    # A page past the end shows the last page; per_page outside the choices falls back to 25.
    assert queue_ids(agent_client.get("/tickets/", {"page": 99})) == expected[25:]
    assert len(queue_ids(agent_client.get("/tickets/", {"per_page": 10_000}))) == 25


def test_pagination_links_keep_the_filters(agent_client: Client, stockholm, freeze):
    freeze(NOW)
    for minute in range(30):
        open_ticket(f"2026-03-03T11:{minute:02d}:00Z")
    page = agent_client.get("/tickets/", {"q": "printer", "per_page": 25}).content.decode()
    assert 'href="?q=printer&amp;per_page=25&amp;page=2"' in page


def _queries_for(client: Client, url: str) -> int:
    sla_config_cache_clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/tickets/?stage=any&per_page=50",
        "/tickets/rows/?stage=any&per_page=50",
        "/tickets/?stage=any&per_page=50&badges=next",
        "/tickets/rows/?stage=any&per_page=50&badges=next",
    ],
)
def test_the_queue_runs_the_same_queries_for_3_or_30_tickets(
    agent_client: Client, stockholm, freeze, agent, lee, billing, url, django_assert_num_queries
):
    freeze(NOW)

    def make(count: int) -> None:
        for index in range(count):
            ticket = open_ticket(
                "2026-03-03T11:00:00Z",
                owner=(agent, lee, None)[index % 3],
                team=billing if index % 2 else None,
                priority="high",
            )
            if index % 4 == 0:  # answered: a next-response cycle, completed clocks
                ticket_message_add(
                    ticket_id=ticket.pk, body="x", author_kind="agent", author=agent, now=at(NOW)
                )
                ticket_message_add(
                    ticket_id=ticket.pk, body="y", author_kind="customer", now=at(NOW)
                )

    make(3)
    with_three = _queries_for(agent_client, url)
    make(27)
    sla_config_cache_clear()
    with django_assert_num_queries(with_three):
        response = agent_client.get(url)
    assert len(queue_ids(response)) == 30


def test_the_rows_fragment_refreshes_with_the_same_filters(agent_client: Client, mixed):
    page = agent_client.get("/tickets/", {"sla_status": "overdue"}).content.decode()
    assert 'hx-get="/tickets/rows/?sla_status=overdue"' in page
    assert 'hx-trigger="every 60s"' in page
    fragment = agent_client.get(
        "/tickets/rows/", {"sla_status": "overdue"}, headers={"HX-Request": "true"}
    )
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in html and "<table" not in html
    assert queue_ids(fragment) == [mixed["overdue"].pk]
    assert "Overdue" in html and "overdue by 30 min" in html


def test_a_poll_after_the_session_ended_sends_the_browser_to_sign_in(client: Client, db):
    response = client.get(
        "/tickets/rows/", {"sla_status": "overdue"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response["HX-Redirect"] == ("/accounts/login/?next=%2Ftickets%2F%3Fsla_status%3Doverdue")


def test_the_fragment_shows_the_badges_as_of_now(agent_client: Client, mixed, freeze):
    freeze("2026-03-03T12:11:00Z")  # the due-soon ticket's first reply was due at 12:10
    html = agent_client.get("/tickets/rows/", {"owner": "lee"}).content.decode()
    assert "overdue by 1 min" in html
    assert "</i> Due soon</span>" not in html and "</i> Overdue</span>" in html


# --- The rows' poll: 204 when nothing changed ----------------------------------------------


def rows_state(response: Any) -> str:
    """The state the page's rows were rendered in (sent back by the poll)."""
    found = re.search(
        r'<tbody id="queue-rows"[^>]* data-state="([^"]*)"', response.content.decode()
    )
    assert found is not None
    return found.group(1)


def poll(client: Client, state: str, **params: str) -> Any:
    return client.get("/tickets/rows/", {**params, "state": state}, headers={"HX-Request": "true"})


def test_a_poll_with_nothing_changed_answers_204_at_the_cost_of_one_query(
    agent_client: Client, mixed, freeze, django_assert_num_queries
):
    # The clocks are due on whole minutes: at 12:00:05 nothing changes by time before 12:01.
    freeze("2026-03-03T12:00:05Z")
    state = rows_state(agent_client.get("/tickets/"))
    assert state
    freeze("2026-03-03T12:00:50Z")
    # Sign-in (session, user), the viewer's zone, and the rows' one.
    with django_assert_num_queries(4):
        answer = poll(agent_client, state)
    assert answer.status_code == 204 and answer.content == b""
    assert answer["X-Queue-State"] == state
    # A saved view's poll too; its rows render with the state of the next poll.
    page = agent_client.get("/tickets/", {"owner": "me"})
    assert poll(agent_client, rows_state(page), owner="me").status_code == 204
    rendered = agent_client.get("/tickets/rows/", {"owner": "me"})
    assert rendered.status_code == 200 and queue_ids(rendered) == [mixed["overdue"].pk]
    assert poll(agent_client, rendered["X-Queue-State"], owner="me").status_code == 204


def _change_priority(mixed, agent, lee, billing) -> None:
    ticket_update(ticket_id=mixed["active"].pk, now=timezone_now(), priority="urgent")


def _customer_message(mixed, agent, lee, billing) -> None:  # starts nothing, adds a message
    ticket_message_add(
        ticket_id=mixed["due_soon"].pk, body="Any news?", author_kind="customer", now=timezone_now()
    )


def _reply(mixed, agent, lee, billing) -> None:  # completes the first-response clock
    ticket_message_add(
        ticket_id=mixed["due_soon"].pk,
        body="On it.",
        author_kind="agent",
        author=agent,
        now=timezone_now(),
    )


def _new_ticket(mixed, agent, lee, billing) -> None:
    open_ticket("2026-03-03T12:00:10Z", subject="Brand new")


def _close(mixed, agent, lee, billing) -> None:
    ticket_update(
        ticket_id=mixed["active"].pk,
        now=timezone_now(),
        stage=Stage.objects.get(pipeline__slug="support", slug="closed"),
    )


def _rename_team(mixed, agent, lee, billing) -> None:
    billing.name = "Billing EU"
    billing.save()


def _rename_owner(mixed, agent, lee, billing) -> None:
    lee.username = "lee.k"
    lee.save()


def _viewer_zone(mixed, agent, lee, billing) -> None:
    AgentProfile.objects.update_or_create(user=agent, defaults={"timezone": "Asia/Tokyo"})


def _settings(mixed, agent, lee, billing) -> None:
    from settings_app.models import SlaSettings

    SlaSettings.objects.filter(pk=1).update(updated_at=timezone_now())


def _move_clock(mixed, agent, lee, billing) -> None:  # a clock written with no ticket change
    SlaClock.objects.filter(ticket=mixed["active"], kind="first_response").update(
        due_at=at("2026-03-03T13:50:00Z")
    )


def timezone_now() -> datetime.datetime:
    from django.utils import timezone

    return timezone.now()


@pytest.mark.parametrize(
    "change",
    [
        _change_priority,
        _customer_message,
        _reply,
        _new_ticket,
        _close,
        _rename_team,
        _rename_owner,
        _viewer_zone,
        _settings,
        _move_clock,
    ],
)
def test_a_poll_renders_the_rows_when_anything_on_them_changed(
    agent_client: Client, mixed, freeze, agent, lee, billing, change
):
    freeze("2026-03-03T12:00:05Z")
    page = agent_client.get("/tickets/")
    state = rows_state(page)
    before = re.search(r'<tbody id="queue-rows"[^>]*>(.*?)</tbody>', page.content.decode(), re.S)
    assert before is not None
    freeze("2026-03-03T12:00:20Z")
    change(mixed, agent, lee, billing)
    answer = poll(agent_client, state)
    assert answer.status_code == 200
    assert answer.content.decode() != before.group(1)
    assert answer["X-Queue-State"] not in ("", state)


def test_a_poll_renders_the_rows_when_time_alone_changes_them(agent_client: Client, mixed, freeze):
    freeze("2026-03-03T12:00:05Z")
    state = rows_state(agent_client.get("/tickets/"))
    freeze("2026-03-03T12:01:00Z")  # the next minute: every relative time ticks
    assert poll(agent_client, state).status_code == 200


def test_a_poll_renders_when_a_clock_ticks_or_turns_within_the_minute(
    agent_client: Client, stockholm, freeze
):
    freeze("2026-03-03T11:10:30Z")
    # First reply due 12:10:30 (due soon from 11:55:30): due on the 30th second of a minute.
    ticket = open_ticket("2026-03-03T11:10:30Z", subject="Half past")
    freeze("2026-03-03T11:40:10Z")
    page = agent_client.get("/tickets/")
    assert "in 30 min" in page.content.decode()
    freeze("2026-03-03T11:40:29Z")  # nothing has changed yet
    assert poll(agent_client, rows_state(page)).status_code == 204
    freeze("2026-03-03T11:40:31Z")  # "in 29 min" since 11:40:30, within the same minute
    answer = poll(agent_client, rows_state(page))
    assert answer.status_code == 200 and "in 29 min" in answer.content.decode()
    freeze("2026-03-03T11:55:10Z")
    page = agent_client.get("/tickets/")
    freeze("2026-03-03T11:55:31Z")  # due soon since 11:55:30
    answer = poll(agent_client, rows_state(page))
    assert answer.status_code == 200 and queue_ids(answer) == [ticket.pk]
    assert "</i> Due soon</span>" in answer.content.decode()


@pytest.mark.parametrize("state", ["", "abc", "-", "12-", "99999999999999999999-x", "1-x"])
def test_a_poll_with_no_state_or_a_bad_one_renders(agent_client: Client, mixed, state: str):
    answer = poll(agent_client, state)
    assert answer.status_code == 200 and len(queue_ids(answer)) == 3


@pytest.mark.parametrize("number", ["0", "-3", "99", "12345678901234567890"])
def test_a_page_out_of_range_has_no_state_and_its_poll_renders(
    agent_client: Client, mixed, freeze, number: str
):
    freeze("2026-03-03T12:00:05Z")
    page = agent_client.get("/tickets/", {"page": number})
    assert page.status_code == 200
    state = rows_state(page)
    assert state == ""
    assert poll(agent_client, state, page=number).status_code == 200


def test_requester_addresses_wrap_at_dots_and_the_at_sign_and_stay_escaped() -> None:
    assert email_wrap("ana.l@acme.com") == "ana.<wbr>l<wbr>@acme.<wbr>com"
    assert email_wrap('"<b>"@x.se') == "&quot;&lt;b&gt;&quot;<wbr>@x.<wbr>se"


def test_badges_have_text_labels_and_due_moments(agent_client: Client, mixed):
    html = agent_client.get("/tickets/", {"stage": "any"}).content.decode()
    rows = dict(
        zip(
            queue_ids(agent_client.get("/tickets/", {"stage": "any"})),
            html.split('<tr data-ticket="')[1:],
            strict=True,
        )
    )
    overdue = rows[mixed["overdue"].pk]
    assert "</i> Overdue</span>" in overdue and "overdue by 30 min" in overdue
    assert "Tue 3 Mar, 12:30 CET" in overdue  # due 11:30Z, shown in the schedule's zone
    due_soon = rows[mixed["due_soon"].pk]
    assert "</i> Due soon</span>" in due_soon and "in 10 min" in due_soon
    active = rows[mixed["active"].pk]
    assert "</i> Active</span>" in active and "in 50 min" in active
    closed = rows[mixed["closed"].pk]  # answered at 12:00, due 10:00
    assert "</i> Late</span>" in closed and "2 h late" in closed


# --- The Next breach view -----------------------------------------------------------------------


def queue_cells(response: Any) -> dict[int, str]:
    """Each row's HTML by ticket id."""
    html = response.content.decode()
    return dict(zip(queue_ids(response), html.split('<tr data-ticket="')[1:], strict=True))


def test_three_badges_stay_the_default(agent_client: Client, mixed):
    response = agent_client.get("/tickets/")
    html = response.content.decode()
    assert 'data-clock="next"' not in html and "Next breach</th>" not in html
    for kind in ("first_response", "next_response", "close"):
        assert html.count(f'<td class="sla-cell" data-clock="{kind}">') == 3
    assert '<a href="/tickets/?badges=next" class="btn btn-outline-secondary"' in html


@pytest.fixture
def breach_tickets(sla_settings, freeze, agent) -> dict[str, Ticket]:
    """At NOW (12:00Z), with first reply 60 min, next reply 120 min and close 90 min (due soon 15
    min before each): a fresh ticket (first reply due first), an answered one the customer wrote
    to again (close due before its next reply), one waiting on the customer (all paused) and a
    closed one (nothing runs)."""
    sla_settings(document(close=(90, 15)))
    freeze(NOW)
    fresh = open_ticket("2026-03-03T11:30:00Z", subject="Fresh")  # first 12:30, close 13:00
    answered = open_ticket("2026-03-03T10:45:00Z", subject="Answered")  # close due 12:15
    ticket_message_add(
        ticket_id=answered.pk, body="On it", author_kind="agent", author=agent, now=at(NOW) - HOUR
    )
    ticket_message_add(  # next reply due 13:10
        ticket_id=answered.pk, body="Still?", author_kind="customer", now=at("2026-03-03T11:10:00Z")
    )
    waiting = open_ticket("2026-03-03T11:40:00Z", subject="Waiting")  # first 12:40, close 13:10
    ticket_update(
        ticket_id=waiting.pk,
        now=at("2026-03-03T11:50:00Z"),  # paused with 50 min left of the first reply
        stage=Stage.objects.get(pipeline__slug="support", slug="waiting-on-customer"),
    )
    closed = open_ticket("2026-03-03T11:00:00Z", subject="Closed")
    ticket_update(
        ticket_id=closed.pk,
        now=at("2026-03-03T11:20:00Z"),
        stage=Stage.objects.get(pipeline__slug="support", slug="closed"),
    )
    return {"fresh": fresh, "answered": answered, "waiting": waiting, "closed": closed}


HOUR = datetime.timedelta(hours=1)


def test_the_next_breach_view_shows_each_tickets_running_clock_due_first(
    agent_client: Client, breach_tickets
):
    default = agent_client.get("/tickets/", {"stage": "any"})
    response = agent_client.get("/tickets/", {"stage": "any", "badges": "next"})
    # The sort stays the nearest due moment: the same rows in the same order.
    assert queue_ids(response) == queue_ids(default)
    html = response.content.decode()
    assert "Next breach</th>" in html and '<th scope="col">First reply</th>' not in html
    cells = queue_cells(response)
    answered = cells[breach_tickets["answered"].pk]
    assert 'data-next-kind="close"' in answered
    badge = answered.split('<div class="next-breach-clocks')[0]
    assert "</i> Due soon</span>" in badge and ">Close</span>" in badge and "in 15 min" in badge
    fresh = cells[breach_tickets["fresh"].pk].split('<div class="next-breach-clocks')[0]
    assert 'data-next-kind="first_response"' in cells[breach_tickets["fresh"].pk]
    assert "</i> Active</span>" in fresh and ">First reply</span>" in fresh and "in 30 min" in fresh
    waiting = cells[breach_tickets["waiting"].pk].split('<div class="next-breach-clocks')[0]
    assert "</i> Paused</span>" in waiting and ">First reply</span>" in waiting
    assert "50 min left" in waiting
    closed = cells[breach_tickets["closed"].pk]
    assert "data-next-kind" not in closed and "No clock running" in closed
    # The three clocks are in the row's card (shown on hover or focus), described to readers.
    for ticket_id, cell in cells.items():
        card = cell.split('<div class="next-breach-clocks')[1]
        assert f'aria-describedby="clocks-of-{ticket_id}"' in cell
        assert [kind for kind in re.findall(r'data-clock="(\w+)"', card)] == [
            "first_response",
            "next_response",
            "close",
        ]
    answered_card = cells[breach_tickets["answered"].pk].split('<div class="next-breach-clocks')[1]
    assert "</i> On time</span>" in answered_card  # the first reply, answered in time
    assert "in 1 h 10 min" in answered_card  # the next reply, due 13:10


def test_the_next_breach_view_is_kept_by_filters_saved_views_paging_and_the_poll(
    agent_client: Client, mixed
):
    html = agent_client.get("/tickets/", {"badges": "next", "owner": "me"}).content.decode()
    assert '<input type="hidden" name="badges" value="next">' in html  # the filter form
    assert 'href="/tickets/?sla_status=overdue&amp;badges=next"' in html  # a saved view
    assert 'href="/tickets/?badges=next" class="btn btn-sm btn-link px-1">Clear</a>' in html
    assert 'hx-get="/tickets/rows/?badges=next&amp;owner=me"' in html
    assert '<a href="/tickets/?owner=me" class="btn btn-outline-secondary"' in html  # back to three
    alone = agent_client.get("/tickets/", {"badges": "next", "page": "2"}).content.decode()
    assert '<a href="/tickets/" class="btn btn-outline-secondary"' in alone
    fragment = agent_client.get("/tickets/rows/", {"badges": "next", "owner": "me"})
    assert queue_ids(fragment) == [mixed["overdue"].pk]
    assert 'data-next-kind="first_response"' in fragment.content.decode()
    assert 'data-clock="next"' not in agent_client.get("/tickets/rows/").content.decode()
    # An unknown value is the default, never an error.
    odd = agent_client.get("/tickets/", {"badges": "purple"})
    assert odd.status_code == 200 and 'data-clock="next"' not in odd.content.decode()


# --- The ticket page ---------------------------------------------------------------------------


def test_the_ticket_page_shows_the_conversation_and_the_sla_panel(
    agent_client: Client, mixed, agent
):
    ticket = mixed["overdue"]
    ticket_message_add(
        ticket_id=ticket.pk,
        body="Called facilities.",
        author_kind="agent",
        author=agent,
        is_internal=True,
        now=at(NOW),
    )
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"#{ticket.pk}" in html and "Overdue invoice" in html
    assert "ana@acme.com · via Email · created Tue 3 Mar, 11:30 CET" in html
    assert "message-customer" in html and "message-internal" in html
    assert "Internal note · agent" in html
    assert "Due Tue 3 Mar, 12:30 CET" in html and "overdue by 30 min" in html
    assert "First reply started (All tickets)" in html
    assert "First reply overdue" not in html  # not swept yet: the timeline shows recorded events


def test_running_clocks_show_time_left_in_counted_time(agent_client: Client, sla_settings, freeze):
    working_hours = {
        **document(timezone="Europe/Stockholm"),
        "applies": "working_hours",
        "working_hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    }
    sla_settings(working_hours)
    # Tue 16:30 Stockholm: 30 counted minutes today, 30 more on Wednesday from 09:00.
    freeze("2026-03-03T15:30:00Z")
    ticket = open_ticket("2026-03-03T15:30:00Z")
    freeze("2026-03-03T15:40:00Z")
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Due Wed 4 Mar, 09:30 CET" in html
    assert "50 min left in counted time" in html
    assert "in 16 h 50 min" in html


def test_a_public_reply_completes_the_first_response_clock(agent_client: Client, mixed, agent):
    ticket = mixed["due_soon"]
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply/", {"visibility": "public", "body": "We are on it."}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    clock = clock_of(ticket, "first_response")
    assert clock.completed_at == at(NOW) and clock.completed_by == "reply"
    message = Message.objects.filter(ticket=ticket).last()
    assert (message.author, message.author_kind, message.is_internal) == (agent, "agent", False)
    page = agent_client.get(response["Location"]).content.decode()
    assert "Reply sent." in page
    assert "Completed on time" in page
    assert "First reply completed on time (by reply)" in page


def test_an_internal_note_leaves_the_first_response_clock_running(agent_client: Client, mixed):
    ticket = mixed["due_soon"]
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply/", {"visibility": "internal", "body": "Checking logs."}
    )
    assert response.status_code == 302
    assert clock_of(ticket, "first_response").completed_at is None
    assert Message.objects.filter(ticket=ticket).last().is_internal is True
    assert "Internal note added." in agent_client.get(f"/tickets/{ticket.pk}/").content.decode()


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_reply_is_refused_with_a_message(agent_client: Client, mixed, body: str):
    ticket = mixed["due_soon"]
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply/", {"visibility": "public", "body": body}
    )
    assert response.status_code == 400
    assert "Write a message before sending." in response.content.decode()
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert clock_of(ticket, "first_response").completed_at is None


def test_a_bad_visibility_is_refused(agent_client: Client, mixed):
    ticket = mixed["due_soon"]
    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply/", {"visibility": "shout", "body": "x"}
    )
    assert response.status_code == 400
    assert Message.objects.filter(ticket=ticket).count() == 1


def _properties(ticket: Ticket, **changes: Any) -> dict[str, Any]:
    data = {
        "owner": ticket.owner_id or "",
        "priority": ticket.priority,
        "team": ticket.team_id or "",
        "source": ticket.source,
        "stage": ticket.stage_id,
    }
    return {**data, **changes}


def test_properties_change_through_the_page(agent_client: Client, mixed, lee, billing):
    ticket = mixed["active"]
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties/",
        _properties(ticket, owner=lee.pk, priority="urgent", team=billing.pk, source="phone"),
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.owner, ticket.priority, ticket.team, ticket.source) == (
        lee,
        "urgent",
        billing,
        "phone",
    )
    assert (
        "Updated owner, priority, team, source."
        in agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    )


def test_moving_to_a_pause_stage_pauses_the_clocks(agent_client: Client, mixed):
    ticket = mixed["active"]
    waiting = Stage.objects.get(pipeline__slug="support", slug="waiting-on-customer")
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties/", _properties(ticket, stage=waiting.pk)
    )
    assert response.status_code == 302
    assert clock_of(ticket, "first_response").paused_at == at(NOW)
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Paused" in html and "50 min left when it resumes" in html


def test_a_stage_of_another_pipeline_moves_the_pipeline(agent_client: Client, mixed):
    ticket = mixed["active"]
    sales = Pipeline.objects.create(slug="sales", name="Sales", position=5)
    lead = Stage.objects.create(pipeline=sales, slug="lead", name="Lead", position=0)
    Stage.objects.create(pipeline=sales, slug="won", name="Won", position=1, is_closed=True)
    agent_client.post(f"/tickets/{ticket.pk}/properties/", _properties(ticket, stage=lead.pk))
    ticket.refresh_from_db()
    assert (ticket.pipeline, ticket.stage) == (sales, lead)


@pytest.mark.parametrize(
    "changes", [{"stage": 987654}, {"priority": "extreme"}, {"owner": 987654}, {"source": ""}]
)
def test_bad_property_input_changes_nothing(agent_client: Client, mixed, changes: dict):
    ticket = mixed["active"]
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties/", _properties(ticket, **changes)
    )
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.stage_id, fresh.priority, fresh.owner_id, fresh.source) == (
        ticket.stage_id,
        ticket.priority,
        ticket.owner_id,
        ticket.source,
    )


def test_a_customer_cannot_be_made_owner(agent_client: Client, mixed, customer_user):
    ticket = mixed["active"]
    response = agent_client.post(
        f"/tickets/{ticket.pk}/properties/", _properties(ticket, owner=customer_user.pk)
    )
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).owner is None


def test_close_and_reopen_through_the_page(agent_client: Client, sla_settings, freeze):
    sla_settings(document(timezone="Europe/Stockholm", close=(1440, 240)))
    freeze(NOW)
    ticket = open_ticket("2026-03-03T11:00:00Z")
    response = agent_client.post(f"/tickets/{ticket.pk}/close/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.closed_at == at(NOW) and ticket.stage.is_closed
    close = clock_of(ticket, "close")
    assert close.completed_by == "close"
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Ticket closed." in page and "Reopen" in page
    # Closing a closed ticket again is a message, not an error.
    agent_client.post(f"/tickets/{ticket.pk}/close/")
    assert "already closed" in agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    freeze("2026-03-03T13:00:00Z")
    response = agent_client.post(f"/tickets/{ticket.pk}/reopen/")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.closed_at is None and not ticket.stage.is_closed
    close.refresh_from_db()
    assert close.completed_at is None
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Ticket reopened." in page and "Close reopened" in page


# --- Escaping and time zones ---------------------------------------------------------------------


def test_markup_in_subjects_and_bodies_is_escaped(agent_client: Client, stockholm, freeze):
    freeze(NOW)
    ticket = open_ticket(
        "2026-03-03T11:00:00Z",
        subject="<script>alert('s')</script>",
        body="<script>alert('b')</script>\nsecond <b>line</b>",
    )
    for url in ("/tickets/", f"/tickets/{ticket.pk}/", "/tickets/rows/"):
        html = agent_client.get(url).content.decode()
        assert "<script>alert(" not in html, url
        assert "&lt;script&gt;alert(" in html, url
    detail = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "&lt;/script&gt;<br>second &lt;b&gt;line&lt;/b&gt;" in detail


def test_times_are_shown_in_the_viewers_time_zone(agent_client: Client, mixed, agent):
    ticket = mixed["overdue"]  # created 10:30Z, first reply due 11:30Z
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "created Tue 3 Mar, 11:30 CET" in html  # default: the SLA schedule's zone
    AgentProfile.objects.create(user=agent, timezone="America/New_York")
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "created Tue 3 Mar, 05:30 EST" in html
    assert "Due Tue 3 Mar, 06:30 EST" in html
    assert "Tue 3 Mar, 06:30 EST" in agent_client.get("/tickets/").content.decode()


def test_the_queues_due_titles_are_in_the_readers_language(agent_client: Client, mixed, agent):
    # mixed["overdue"]: its first reply was due at 11:30Z, 12:30 in Stockholm.
    english = agent_client.get("/tickets/").content.decode()
    assert 'title="Due Tue 3 Mar, 12:30 CET"' in english
    AgentProfile.objects.create(user=agent, language="sv")
    swedish = agent_client.get("/tickets/").content.decode()
    assert 'title="Förfaller tis 3 mar, 12:30 CET"' in swedish
    assert 'title="Due ' not in swedish


def test_an_unknown_saved_zone_falls_back_to_the_schedules(agent_client: Client, mixed, agent):
    AgentProfile.objects.create(user=agent, timezone="Mars/Olympus_Mons")
    html = agent_client.get(f"/tickets/{mixed['overdue'].pk}/").content.decode()
    assert "created Tue 3 Mar, 11:30 CET" in html


# --- The profile -------------------------------------------------------------------------------


def test_the_profile_sets_the_time_zone_and_email_switch(agent_client: Client, stockholm, agent):
    page = agent_client.get("/tickets/profile/").content.decode()
    assert "The SLA schedule&#x27;s time zone (Europe/Stockholm)" in page
    assert not AgentProfile.objects.filter(user=agent).exists()  # a GET writes nothing
    response = agent_client.post("/tickets/profile/", {"timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    profile = AgentProfile.objects.get(user=agent)
    assert (profile.timezone, profile.email_notifications) == ("Asia/Tokyo", False)
    response = agent_client.post("/tickets/profile/", {"timezone": "", "email_notifications": "on"})
    profile.refresh_from_db()
    assert (profile.timezone, profile.email_notifications) == ("", True)
    assert AgentProfile.objects.filter(user=agent).count() == 1


def test_the_profile_refuses_an_unknown_zone(agent_client: Client, stockholm, agent):
    response = agent_client.post(
        "/tickets/profile/", {"timezone": "Mars/Olympus_Mons", "email_notifications": "on"}
    )
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert not AgentProfile.objects.filter(user=agent).exists()
