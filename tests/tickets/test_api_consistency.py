"""The API's consistency rules (SPEC section 7, issue 21): refused filter values and paging,
JSON everywhere under /api/, the reference lists a channel sets itself up with, and the
generated OpenAPI document and its docs page."""

from __future__ import annotations

import pytest
from django.test import Client

from settings_app.models import Pipeline, Stage
from tests.factories import ALWAYS_DOCUMENT, AgentFactory, TeamFactory, sla_document
from tests.tickets.conftest import JsonApi
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def always(sla_settings):
    return sla_settings(sla_document(ALWAYS_DOCUMENT))


# --- Filters: one definition with the queue page; the API refuses what the queue ignores -----


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"team": "nope"}, "team"),
        ({"stage": "nope"}, "stage"),
        ({"owner": "nobody"}, "owner"),
        ({"owner": "visitor"}, "owner"),  # a user, but not an agent
        ({"sla_status": "late"}, "sla_status"),
        ({"priority": "critical"}, "priority"),
        ({"team": "nope", "stage": "nope"}, "team"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_it(
    api: JsonApi, customer_user, params: dict, field: str
) -> None:
    response = api.get("/api/tickets/", params)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors
    assert set(errors) <= set(params)
    assert all(isinstance(message, str) and message for message in errors[field])


def test_a_refused_choice_lists_the_accepted_values(api: JsonApi) -> None:
    TeamFactory(slug="billing")
    response = api.get("/api/tickets/", {"team": "nope"})
    assert response.json() == {"errors": {"team": ["Must be one of: billing."]}}


def test_the_queue_page_keeps_ignoring_stale_values(agent) -> None:
    client = Client()
    client.force_login(agent)
    response = client.get("/tickets/", {"team": "gone", "stage": "nope", "owner": "nobody"})
    assert response.status_code == 200


def test_the_queues_own_values_are_valid_filters(always, api: JsonApi, freeze) -> None:
    freeze("2026-12-01T08:00:00Z")
    open_id = api.create()["id"]
    closed_id = api.create()["id"]
    api.update(closed_id, status="closed")
    lee = AgentFactory(username="lee")
    api.update(open_id, owner=lee.username)

    def ids(**params: str) -> set[int]:
        response = api.get("/api/tickets/", params)
        assert response.status_code == 200, response.content
        return {ticket["id"] for ticket in response.json()["results"]}

    assert ids() == ids(stage="any") == ids(stage="") == {open_id, closed_id}
    assert ids(stage="open") == {open_id}
    assert ids(stage="closed") == {closed_id}
    assert ids(stage="new") == {open_id}
    assert ids(owner="lee") == {open_id}
    assert ids(owner="none") == {closed_id}


# --- Paging: malformed values are 400, never clamped; past the last page is 404 ---------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "1000"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page_size": "9" * 5000}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": "-2"}, "page"),
        ({"page": "1.5"}, "page"),
    ],
)
@pytest.mark.parametrize("path", ["/api/tickets/", "/api/teams/", "/api/agents/"])
def test_malformed_paging_is_a_400_naming_the_parameter(
    api: JsonApi, path: str, params: dict, field: str
) -> None:
    response = api.get(path, params)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]


def test_every_refused_parameter_is_named_in_one_answer(api: JsonApi) -> None:
    response = api.get("/api/tickets/", {"stage": "archived", "page_size": "0", "page": "x"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"stage", "page_size", "page"}


def test_page_size_within_bounds_is_kept_in_the_links(always, api: JsonApi) -> None:
    for _n in range(3):
        api.create()
    first = api.get("/api/tickets/", {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["count"] == 3
    assert "page_size=1" in first["next"] and "page=2" in first["next"]
    assert len(api.get("/api/tickets/", {"page_size": 100}).json()["results"]) == 3
    assert api.get("/api/tickets/", {"page": 2}).status_code == 404
    assert api.get("/api/tickets/", {"page": "9" * 40}).status_code == 404


# --- JSON everywhere under /api/ ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/", "/api/nothing/", "/api/tickets/abc/", "/api/tickets/1/nope/", "/api/sla"]
)
def test_unknown_api_paths_are_json_404s(api: JsonApi, path: str) -> None:
    for client in (api.client, Client()):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert list(response.json()["errors"]) == [""]


def test_a_method_an_endpoint_does_not_take_is_a_json_405(api: JsonApi) -> None:
    for client in (api.client, Client()):
        response = client.delete("/api/tickets/")
        assert response.status_code == 405
        assert response["Content-Type"] == "application/json"
        assert "errors" in response.json()
        assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_unknown_ticket_is_a_json_404(api: JsonApi) -> None:
    for path in ("/api/tickets/999/", "/api/tickets/999/messages/"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {"errors": {"": ["No such ticket."]}}


# --- Idempotency: another body with a used key, nothing created -------------------------------


def test_a_reused_key_with_another_body_on_messages_is_a_422(always, api: JsonApi) -> None:
    ticket_id = api.create()["id"]
    path = f"/api/tickets/{ticket_id}/messages/"
    first = api.post(path, {"body": "Any news?"}, headers={"Idempotency-Key": "chat-9"})
    assert first.status_code == 201
    other = api.post(path, {"body": "Hello?"}, headers={"Idempotency-Key": "chat-9"})
    assert other.status_code == 422
    assert list(other.json()["errors"]) == ["Idempotency-Key"]
    assert Ticket.objects.get(pk=ticket_id).messages.count() == 2  # opening + the first only


# --- What a channel sets itself up with --------------------------------------------------------


def test_teams_pipelines_and_agents_are_listed_paged(api: JsonApi, agent, super_admin) -> None:
    TeamFactory(slug="billing", name="Billing")
    TeamFactory(slug="it", name="IT")
    AgentFactory(username="lee", first_name="Lee", last_name="Chen")
    teams = api.get("/api/teams/").json()
    assert teams == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [{"slug": "billing", "name": "Billing"}, {"slug": "it", "name": "IT"}],
    }
    first = api.get("/api/teams/", {"page_size": 1}).json()
    assert first["count"] == 2 and first["results"] == [{"slug": "billing", "name": "Billing"}]
    assert "page=2" in first["next"]

    pipelines = api.get("/api/pipelines/").json()["results"]
    support = next(p for p in pipelines if p["slug"] == "support")
    assert [s["slug"] for s in support["stages"]] == list(
        Stage.objects.filter(pipeline__slug="support")
        .order_by("position", "id")
        .values_list("slug", flat=True)
    )
    assert {s["slug"]: s["closed"] for s in support["stages"]}["closed"] is True
    assert len(pipelines) == Pipeline.objects.count()

    agents = api.get("/api/agents/").json()["results"]
    assert {"username": "lee", "name": "Lee Chen"} in agents
    assert [a["username"] for a in agents] == ["agent", "boss", "lee"]


def test_the_reference_lists_need_an_agent(customer_user) -> None:
    for path in ("/api/teams/", "/api/pipelines/", "/api/agents/"):
        assert Client().get(path).status_code == 401
        client = Client()
        client.force_login(customer_user)
        assert client.get(path).status_code == 403


# --- The OpenAPI document and its docs page ----------------------------------------------------


def test_the_openapi_document_describes_every_endpoint() -> None:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert operations == {
        ("GET", "/api/tickets/"),
        ("POST", "/api/tickets/"),
        ("GET", "/api/tickets/{ticket_id}/"),
        ("PATCH", "/api/tickets/{ticket_id}/"),
        ("GET", "/api/tickets/{ticket_id}/messages/"),
        ("POST", "/api/tickets/{ticket_id}/messages/"),
        ("GET", "/api/sla/settings/"),
        ("PUT", "/api/sla/settings/"),
        ("POST", "/api/sla/settings/preview/"),
        ("GET", "/api/sla/recomputes/{pk}/"),
        ("GET", "/api/sla/settings/previews/{pk}/"),
        ("GET", "/api/teams/"),
        ("GET", "/api/pipelines/"),
        ("GET", "/api/agents/"),
        ("POST", "/api/inbound-email/"),
        ("GET", "/api/webhooks/"),
        ("POST", "/api/webhooks/"),
        ("GET", "/api/webhooks/{endpoint_id}/"),
        ("PATCH", "/api/webhooks/{endpoint_id}/"),
        ("DELETE", "/api/webhooks/{endpoint_id}/"),
        ("GET", "/api/webhooks/{endpoint_id}/deliveries/"),
        ("POST", "/api/webhooks/{endpoint_id}/test/"),
    }
    create = document["paths"]["/api/tickets/"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"subject", "body", "requester_email"}
    assert {"201", "400", "401", "403", "422"} <= set(create["responses"])
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    listing = document["paths"]["/api/tickets/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert names == {"sla_status", "team", "priority", "owner", "stage", "q", "page", "page_size"}
    assert create["security"] and document["components"]["securitySchemes"]


def test_the_docs_page_is_served_by_the_app(db) -> None:
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "/api/schema/" in html
