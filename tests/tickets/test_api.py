"""The ticket JSON API of SPEC section 7 and the public request form, through the real URLs."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ALWAYS_DOCUMENT,
    AgentFactory,
    ApiTokenFactory,
    TeamFactory,
    TicketFactory,
    sla_document,
)
from tests.tickets.conftest import JsonApi, utc
from tickets.api_auth.models import ApiToken, IdempotencyKey
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

NEW_TICKET = {"subject": "Printer on fire", "body": "Help!", "requester_email": "c@example.com"}


@pytest.fixture
def always(sla_settings):
    return sla_settings(sla_document(ALWAYS_DOCUMENT))


def post_json(client: Client, path: str, data: object, **headers: str):
    return client.post(path, json.dumps(data), content_type="application/json", headers=headers)


# --- Authentication and permissions ----------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no credentials at all
        {"Authorization": "Token not-a-real-key"},
        {"Authorization": "Bearer something"},
        {"Authorization": "Token "},
    ],
)
def test_requests_without_valid_credentials_get_401_json(db, headers: dict) -> None:
    client = Client(headers=headers)
    for response in (
        client.get("/api/tickets/"),
        post_json(client, "/api/tickets/", NEW_TICKET),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert list(response.json()) == ["errors"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("revoke", ["token", "user"])
def test_a_revoked_token_gets_401(agent_token, revoke: str) -> None:
    client = Client(headers={"Authorization": f"Token {agent_token.key}"})
    assert client.get("/api/tickets/").status_code == 200
    if revoke == "token":
        ApiToken.objects.filter(pk=agent_token.pk).update(is_active=False)
    else:
        type(agent_token.user).objects.filter(pk=agent_token.user_id).update(is_active=False)
    response = client.get("/api/tickets/")
    assert response.status_code == 401
    assert response.json() == {"errors": {"": ["Invalid or revoked API token."]}}


def test_a_user_who_is_not_an_agent_gets_403(customer_user) -> None:
    by_session = Client()
    by_session.force_login(customer_user)
    by_token = Client(headers={"Authorization": f"Token {ApiTokenFactory(user=customer_user).key}"})
    for client in (by_session, by_token):
        response = client.get("/api/tickets/")
        assert response.status_code == 403
        assert response.json() == {"errors": {"": ["Only agents may do this."]}}
        assert post_json(client, "/api/tickets/", NEW_TICKET).status_code == 403
    assert not Ticket.objects.exists()


def test_token_writes_need_no_csrf_token(agent_token) -> None:
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Token {agent_token.key}"})
    assert post_json(client, "/api/tickets/", NEW_TICKET).status_code == 201


def test_session_writes_need_the_csrf_token(agent) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get("/api/tickets/").status_code == 200  # reads need none
    response = post_json(client, "/api/tickets/", NEW_TICKET)
    assert response.status_code == 403
    assert response.json() == {"errors": {"": ["CSRF token missing or incorrect."]}}
    assert not Ticket.objects.exists()

    client.get("/request/")  # any page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = post_json(client, "/api/tickets/", NEW_TICKET, **{"X-CSRFToken": token})
    assert response.status_code == 201
    assert Ticket.objects.count() == 1


def test_unknown_ticket_and_wrong_method(api) -> None:
    assert api.get("/api/tickets/999/").status_code == 404
    assert api.post("/api/tickets/999/messages/", {"body": "x"}).status_code == 404
    response = api.client.delete("/api/tickets/")
    assert response.status_code == 405
    assert "errors" in response.json()


# --- Lists: shape, paging, filters, query count ----------------------------------------------


def test_the_list_is_paged(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    ids = [api.create()["id"] for _ in range(5)]
    # Same due moments everywhere: newest first.
    first = api.get("/api/tickets/", {"page_size": 2}).json()
    assert list(first) == ["count", "next", "previous", "results"]
    assert first["count"] == 5
    assert [t["id"] for t in first["results"]] == ids[::-1][:2]
    assert first["previous"] is None
    assert "page=2" in first["next"]

    second = api.client.get(first["next"]).json()
    assert [t["id"] for t in second["results"]] == ids[::-1][2:4]
    assert "page=1" in second["previous"]
    third = api.get("/api/tickets/", {"page_size": 2, "page": 3}).json()
    assert [t["id"] for t in third["results"]] == ids[:1]
    assert third["next"] is None

    assert api.get("/api/tickets/", {"page": 9}).status_code == 404
    assert api.get("/api/tickets/", {"page": "two"}).json() == {
        "errors": {"page": ["Must be a whole number."]}
    }


def test_list_filters(always, api, agent, freeze) -> None:
    TeamFactory(slug="billing")
    it = TeamFactory(slug="it")
    lee = AgentFactory(username="lee")
    freeze("2026-12-01T07:00:00Z")
    overdue = api.create(team="it", priority="low")["id"]  # due 08:00
    api.update(overdue, owner="lee")
    freeze("2026-12-01T07:40:00Z")
    due_soon = api.create()["id"]  # due soon 08:25, due 08:40
    freeze("2026-12-01T08:00:00Z")
    mine = api.create(team="billing", priority="high")["id"]  # due soon 08:45
    api.update(mine, owner=agent.username)
    closed = api.create()["id"]
    freeze("2026-12-01T08:10:00Z")
    api.update(closed, status="closed")
    freeze("2026-12-01T08:20:00Z")
    waiting = api.create()["id"]
    api.update(waiting, status="waiting-on-us")

    freeze("2026-12-01T08:30:00Z")

    def ids(**params: str) -> list[int]:
        response = api.get("/api/tickets/", params)
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["results"]]

    # Default order: earliest due moment of a running clock first, tickets without one last.
    assert ids() == [overdue, due_soon, mine, waiting, closed]
    assert ids(sla_status="overdue") == [overdue]
    assert ids(sla_status="due_soon") == [due_soon]
    # Any running clock may match: the close clocks of the others are active.
    assert ids(sla_status="active") == [overdue, due_soon, mine, waiting]
    assert ids(sla_status="completed") == [closed]
    assert ids(team="billing") == [mine]
    assert ids(team=it.slug) == [overdue]
    assert ids(priority="high") == [mine]
    assert ids(stage="waiting-on-us") == [waiting]
    assert ids(stage="closed") == [closed]
    assert ids(owner="me") == [mine]
    assert ids(owner="none") == [due_soon, waiting, closed]
    assert ids(owner=lee.username) == [overdue]
    assert ids(owner="lee", sla_status="overdue", team="it") == [overdue]
    assert api.get("/api/tickets/", {"sla_status": "late"}).json() == {
        "errors": {"sla_status": ["Must be one of: overdue, due_soon, active, completed."]}
    }


def test_the_list_runs_the_same_queries_for_3_and_30_tickets(always, api, freeze) -> None:
    team = TeamFactory()
    owner = AgentFactory()
    freeze("2026-12-01T08:00:00Z")

    def add_tickets(count: int) -> None:
        for _ in range(count):
            ticket = TicketFactory(team=team, owner=owner, priority="high")
            ticket_id = ticket.pk
            api.reply(ticket_id)
            api.customer(ticket_id)  # a next-response cycle too

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/tickets/", {"page_size": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    api.get("/api/tickets/")  # warm up: the token's last-used stamp
    add_tickets(3)
    few = list_queries()
    add_tickets(27)
    many = list_queries()
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


# --- Validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_TICKET, "colour": "red"}, "colour"),
        ({**NEW_TICKET, "subject": 5}, "subject"),
        ({**NEW_TICKET, "subject": "  "}, "subject"),
        ({"subject": "x", "requester_email": "c@example.com"}, "body"),
        ({**NEW_TICKET, "requester_email": "not-an-email"}, "requester_email"),
        ({**NEW_TICKET, "priority": "critical"}, "priority"),
        ({**NEW_TICKET, "priority": True}, "priority"),
        ({**NEW_TICKET, "source": "pigeon"}, "source"),
        ({**NEW_TICKET, "team": "nope"}, "team"),
        ({**NEW_TICKET, "team": 3}, "team"),
        ({**NEW_TICKET, "pipeline": "nope"}, "pipeline"),
        (["not", "an", "object"], ""),
    ],
)
def test_invalid_tickets_are_refused_and_nothing_is_created(api, body: object, field: str) -> None:
    response = api.post("/api/tickets/", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert errors[field] and all(isinstance(m, str) for m in errors[field])
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()


def test_a_body_that_is_not_json_is_refused(api) -> None:
    response = api.client.post("/api/tickets/", "{oops", content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [""]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "nope"}, "status"),
        ({"status": 3}, "status"),
        ({"owner": "visitor"}, "owner"),  # not an agent
        ({"team": "nope"}, "team"),
        ({"pipeline": None}, "pipeline"),
        ({"source": None}, "source"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_updates_are_refused_and_nothing_changes(
    always, api, customer_user, body: dict, field: str
) -> None:
    ticket = api.create()
    response = api.patch(f"/api/tickets/{ticket['id']}/", body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert api.ticket(ticket["id"]) == ticket


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "psst", "author": "customer", "internal": True}, "internal"),
        ({"body": "x", "author": "robot"}, "author"),
        ({"body": "x", "author": "agent", "internal": "yes"}, "internal"),
        ({"author": "agent"}, "body"),
        ({"body": "x", "cc": "boss"}, "cc"),
    ],
)
def test_invalid_messages_are_refused_and_nothing_is_created(
    always, api, body: dict, field: str
) -> None:
    ticket = api.create()
    response = api.post(f"/api/tickets/{ticket['id']}/messages/", body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert Message.objects.count() == 1  # the ticket's first message only
    assert api.ticket(ticket["id"]) == ticket


def test_a_ticket_in_json(always, api, agent, freeze) -> None:
    TeamFactory(slug="billing")
    freeze("2026-12-01T08:00:00Z")
    ticket = api.create(priority="high", team="billing", source="chat")
    assert {k: v for k, v in ticket.items() if k != "sla"} == {
        "id": ticket["id"],
        "subject": "Printer on fire",
        "requester_email": "c@example.com",
        "priority": "high",
        "team": "billing",
        "source": "chat",
        "pipeline": "support",
        "owner": None,
        "status": "new",
        "created_at": "2026-12-01T08:00:00Z",
        "closed_at": None,
    }
    assert list(ticket["sla"]) == ["first_response", "next_response", "close"]
    updated = api.update(ticket["id"], owner=agent.username, priority=None)
    assert (updated["owner"], updated["priority"]) == ("agent", None)
    assert api.create()["source"] == "api"  # a channel that names no source


# --- Idempotency -----------------------------------------------------------------------------


def test_an_idempotency_key_replays_the_first_answer(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    first = api.post("/api/tickets/", NEW_TICKET, headers={"Idempotency-Key": "mail-4711"})
    assert first.status_code == 201
    freeze("2026-12-01T09:00:00Z")
    # The same body again (other spacing and key order are the same JSON): the first answer.
    same = json.dumps(dict(reversed(list(NEW_TICKET.items()))), indent=2)
    again = api.client.post(
        "/api/tickets/",
        same,
        content_type="application/json",
        headers={"Idempotency-Key": "mail-4711"},
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1
    # The same key with another body: refused (SPEC section 7), nothing created or replayed.
    changed = api.post(
        "/api/tickets/",
        {**NEW_TICKET, "subject": "Changed"},
        headers={"Idempotency-Key": "mail-4711"},
    )
    assert changed.status_code == 422
    assert list(changed.json()["errors"]) == ["Idempotency-Key"]
    assert "Idempotent-Replayed" not in changed
    assert Ticket.objects.count() == 1
    other = api.post("/api/tickets/", NEW_TICKET, headers={"Idempotency-Key": "mail-4712"})
    assert other.json()["id"] != first.json()["id"]
    assert Ticket.objects.count() == 2


def test_an_idempotency_key_on_messages(always, api) -> None:
    ticket_id = api.create()["id"]
    path = f"/api/tickets/{ticket_id}/messages/"
    body = {"body": "Any news?", "author": "customer"}
    first = api.post(path, body, headers={"Idempotency-Key": "chat-1"})
    again = api.post(path, body, headers={"Idempotency-Key": "chat-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Message.objects.filter(ticket_id=ticket_id).count() == 2  # opening + one


def test_an_idempotency_key_expires_after_24_hours(always, api, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    api.post("/api/tickets/", NEW_TICKET, headers={"Idempotency-Key": "k"})
    freeze("2026-12-02T08:00:01Z")
    api.post("/api/tickets/", NEW_TICKET, headers={"Idempotency-Key": "k"})
    assert Ticket.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1  # the old entry was replaced


def test_idempotency_keys_are_per_user(always, api) -> None:
    api.post("/api/tickets/", NEW_TICKET, headers={"Idempotency-Key": "k"})
    other = JsonApi(Client(headers={"Authorization": f"Token {ApiTokenFactory().key}"}))
    other.post("/api/tickets/", NEW_TICKET, headers={"Idempotency-Key": "k"})
    assert Ticket.objects.count() == 2


# --- The public request form -----------------------------------------------------------------

FORM = {"requester_email": "ann@example.com", "subject": "Cannot log in", "body": "Since today."}


def test_the_request_form_is_public(always, freeze) -> None:
    client = Client()
    assert client.get("/request/").status_code == 200
    freeze("2026-12-01T08:00:00Z")
    response = client.post("/request/", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/request/thanks/"
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.requester_email, ticket.subject) == (
        "form",
        "ann@example.com",
        "Cannot log in",
    )
    assert ticket.messages.get().body == "Since today."
    assert ticket.clocks.count() == 2  # first response and close, like any ticket
    assert client.get(response["Location"]).status_code == 200


def test_the_request_form_shows_errors(db) -> None:
    response = Client().post("/request/", {**FORM, "requester_email": "ann"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_request_form_enforces_csrf(db) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/request/", FORM).status_code == 403
    assert not Ticket.objects.exists()
    client.get("/request/")
    data = {**FORM, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    assert client.post("/request/", data).status_code == 302
    assert Ticket.objects.count() == 1


def test_using_a_token_stamps_its_last_use(agent_token, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    client = Client(headers={"Authorization": f"Token {agent_token.key}"})
    client.get("/api/tickets/")
    agent_token.refresh_from_db()
    assert agent_token.last_used_at == utc("2026-12-01T08:00:00Z")
