"""The webhooks page and API (super admins only): add an endpoint (secret shown once), refused
input with messages, send a test event, switch, delete, the delivery log; the admin's log."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.factories import TicketFactory
from tests.tickets.webhooks.conftest import deliver_pending
from tickets.api_auth.models import ApiToken
from tickets.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(super_admin) -> Client:
    token = ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key(), name="ops")
    return Client(headers={"Authorization": f"Token {token.key}"})


def post_json(client: Client, path: str, data, method: str = "post"):
    return getattr(client, method)(path, json.dumps(data), content_type="application/json")


def test_the_page_adds_an_endpoint_and_shows_its_secret_once(admin_client_, receiver) -> None:
    response = admin_client_.post(
        "/settings/webhooks/",
        {"url": receiver.url(), "events": ["ticket.created", "sla.overdue"], "active": "on"},
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["ticket.created", "sla.overdue"] and endpoint.is_active
    page = admin_client_.get("/settings/webhooks/").content.decode()
    assert endpoint.secret in page and receiver.url() in page
    again = admin_client_.get("/settings/webhooks/").content.decode()
    assert endpoint.secret not in again and receiver.url() in again


def test_the_page_refuses_a_private_target_with_a_message(admin_client_, settings) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = admin_client_.post(
        "/settings/webhooks/", {"url": "https://127.0.0.1/x", "events": ["sla.overdue"]}
    )
    assert response.status_code == 400
    assert "loopback address" in response.content.decode()
    response = admin_client_.post("/settings/webhooks/", {"url": "https://hooks.example.com/"})
    assert response.status_code == 400 and "Choose at least one event" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_test_event_button_delivers_and_the_log_shows_it(
    admin_client_, receiver, endpoint
) -> None:
    hook = endpoint(events=["sla.overdue"])
    response = admin_client_.post(f"/settings/webhooks/{hook.pk}/test/")
    assert response.status_code == 302
    assert list(deliver_pending().values()) == ["delivered"]
    assert json.loads(receiver.received[0].body)["type"] == "webhook.test"
    log = admin_client_.get(f"/settings/webhooks/{hook.pk}/").content.decode()
    assert "webhook.test" in log and "Delivered" in log and "200" in log
    listing = admin_client_.get("/settings/webhooks/").content.decode()
    assert "Last delivery" in listing and 'data-state="delivered"' in listing


def test_switch_and_delete_from_the_page(admin_client_, receiver, endpoint) -> None:
    hook = endpoint()
    admin_client_.post(f"/settings/webhooks/{hook.pk}/switch/", {"active": "false"})
    hook.refresh_from_db()
    assert not hook.is_active
    admin_client_.post(f"/settings/webhooks/{hook.pk}/delete/")
    assert not WebhookEndpoint.objects.exists()
    assert admin_client_.post(f"/settings/webhooks/{hook.pk}/test/").status_code == 404


@pytest.mark.parametrize("path", ["/settings/webhooks/", "/admin/webhooks/webhookendpoint/"])
def test_agents_cannot_see_webhooks(client, agent, path) -> None:
    client.force_login(agent)
    assert client.get(path).status_code in (403, 302)
    if path.startswith("/settings"):
        assert client.get(path).status_code == 403


def test_the_api_creates_lists_changes_and_deletes_endpoints(admin_api, receiver) -> None:
    created = post_json(
        admin_api, "/api/webhooks/", {"url": receiver.url(), "events": ["sla.due_soon"]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["active"] is True
    assert body["events"] == ["sla.due_soon"] and body["last_delivery"] is None
    path = f"/api/webhooks/{body['id']}/"
    shown = admin_api.get(path).json()
    assert "secret" not in shown and shown["url"] == receiver.url()
    listed = admin_api.get("/api/webhooks/").json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]

    changed = post_json(admin_api, path, {"active": False, "events": ["sla.overdue"]}, "patch")
    assert changed.status_code == 200
    assert (changed.json()["active"], changed.json()["events"]) == (False, ["sla.overdue"])

    assert admin_api.delete(path).status_code == 204
    missing = admin_api.get(path)
    assert missing.status_code == 404 and "errors" in missing.json()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"url": "https://10.0.0.1/", "events": ["sla.overdue"]}, "url"),
        ({"url": "http://hooks.example.com/", "events": ["sla.overdue"]}, "url"),
        ({"url": "https://93.184.216.34/", "events": ["sla.nope"]}, "events"),
        ({"url": "https://93.184.216.34/", "events": []}, "events"),
        ({"url": "https://93.184.216.34/", "events": "sla.overdue"}, "events"),
        ({"url": "https://93.184.216.34/", "events": ["sla.overdue"], "active": "yes"}, "active"),
        ({"url": "https://93.184.216.34/", "events": ["sla.overdue"], "secret": "x"}, "secret"),
        ({"events": ["sla.overdue"]}, "url"),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(admin_api, settings, data, field) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = post_json(admin_api, "/api/webhooks/", data)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_the_api_is_for_super_admins_only(api) -> None:
    response = api.get("/api/webhooks/")
    assert response.status_code == 403 and "errors" in response.json()


def test_the_api_lists_deliveries_with_their_attempts(admin_api, receiver, endpoint) -> None:
    hook = endpoint(events=["ticket.created"])
    receiver.answer((500, "oops"), (200, "fine"))
    ticket = TicketFactory()
    deliver_pending()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    deliver_pending()
    listed = admin_api.get(f"/api/webhooks/{hook.pk}/deliveries/").json()
    assert listed["count"] == 1
    [row] = listed["results"]
    assert (row["type"], row["ticket"], row["state"], row["attempts"]) == (
        "ticket.created",
        ticket.pk,
        "delivered",
        2,
    )
    assert [(a["number"], a["status_code"], a["response_excerpt"]) for a in row["attempt_log"]] == [
        (1, 500, "oops"),
        (2, 200, "fine"),
    ]
    test = admin_api.post(f"/api/webhooks/{hook.pk}/test/")
    assert test.status_code == 202
    assert WebhookDelivery.objects.filter(event_type="webhook.test").count() == 1


def test_the_admin_shows_the_delivery_log(admin_client_, receiver, endpoint) -> None:
    endpoint(events=["ticket.created"])
    TicketFactory()
    deliver_pending()
    delivery = WebhookDelivery.objects.get()
    listing = admin_client_.get("/admin/webhooks/webhookdelivery/")
    assert listing.status_code == 200 and "ticket.created" in listing.content.decode()
    page = admin_client_.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and ">ok<" in page.content.decode().replace(" ", "")
