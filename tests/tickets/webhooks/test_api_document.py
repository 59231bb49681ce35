"""The webhooks API on the project's API framework (issue 21 for issue 24's endpoints): described
in /api/schema/ (super admins only, the secret in the POST's answer alone), the same refusals as
every other endpoint (401 JSON without credentials, 403 for agents, paging rules), and private
targets refused when an endpoint is added or changed."""

from __future__ import annotations

import json
from typing import get_args

import pytest
from django.test import Client

from slaproject.api_site import schema
from tickets.api_auth.models import ApiToken
from tickets.webhooks import schemas
from tickets.webhooks.models import EventType, WebhookEndpoint

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "/api/webhooks/": {"get", "post"},
    "/api/webhooks/{endpoint_id}/": {"get", "patch", "delete"},
    "/api/webhooks/{endpoint_id}/deliveries/": {"get"},
    "/api/webhooks/{endpoint_id}/test/": {"post"},
}


@pytest.fixture
def admin_api(super_admin) -> Client:
    token = ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key())
    return Client(headers={"Authorization": f"Token {token.key}"})


@pytest.fixture
def agent_api(agent) -> Client:
    token = ApiToken.objects.create(user=agent, key=ApiToken.generate_key())
    return Client(headers={"Authorization": f"Token {token.key}"})


@pytest.fixture
def hook(super_admin) -> WebhookEndpoint:
    from django.utils import timezone

    return WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in",
        events=["sla.overdue"],
        secret="whsec_x",
        owner=super_admin,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )


def test_the_document_describes_every_webhooks_operation() -> None:
    paths = schema()["paths"]
    for path, methods in OPERATIONS.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["security"], (method, path)
            assert {"401", "403"} <= {str(s) for s in operation["responses"]}, (method, path)
    created = paths["/api/webhooks/"]["post"]["responses"][201]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith(
        "/WebhookEndpointCreated"
    )
    components = schema()["components"]["schemas"]
    assert "secret" in components["WebhookEndpointCreated"]["properties"]
    assert "secret" not in components["WebhookEndpoint"]["properties"]
    assert 204 in paths["/api/webhooks/{endpoint_id}/"]["delete"]["responses"]


def test_the_documented_events_are_the_models_events() -> None:
    assert list(get_args(schemas.EVENTS)) == list(EventType.values)
    assert list(get_args(schemas.DELIVERY_TYPES)) == [*EventType.values, "webhook.test"]


@pytest.mark.parametrize(
    "method, path",
    [(m, p) for p, methods in OPERATIONS.items() for m in sorted(methods)],
)
def test_without_credentials_401_and_for_agents_403_as_json(
    client, agent_api, hook, method: str, path: str
) -> None:
    url = path.replace("{endpoint_id}", str(hook.pk))
    body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
    anonymous = getattr(client, method)(url, **body)
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "errors": {"": ["Authentication required: a session or an API token."]}
    }
    refused = getattr(agent_api, method)(url, **body)
    assert refused.status_code == 403
    assert refused.json() == {"errors": {"": ["Only super admins may do this."]}}
    assert WebhookEndpoint.objects.filter(pk=hook.pk).exists()


def test_lists_are_paged_by_the_contracts_rules(admin_api, hook) -> None:
    for path in ("/api/webhooks/", f"/api/webhooks/{hook.pk}/deliveries/"):
        assert admin_api.get(path, {"page_size": "0"}).json() == {
            "errors": {"page_size": ["Must be at least 1."]}
        }
        assert admin_api.get(path, {"page_size": "101"}).status_code == 400
        assert admin_api.get(path, {"page": "x"}).json() == {
            "errors": {"page": ["Must be a whole number."]}
        }
        assert admin_api.get(path, {"page": "2"}).status_code == 404
    listed = admin_api.get("/api/webhooks/", {"page_size": "1"}).json()
    assert (listed["count"], listed["next"], listed["previous"]) == (1, None, None)


def test_unknown_endpoints_are_json_404s(admin_api) -> None:
    for method, path in [("get", "/api/webhooks/999999/"), ("delete", "/api/webhooks/999999/")]:
        response = getattr(admin_api, method)(path)
        assert response.status_code == 404
        assert response.json() == {"errors": {"": ["No such webhook endpoint."]}}
    missing = admin_api.patch(
        "/api/webhooks/999999/", json.dumps({"active": False}), content_type="application/json"
    )
    assert missing.status_code == 404
    assert admin_api.post("/api/webhooks/999999/test/").status_code == 404
    assert admin_api.get("/api/webhooks/999999/deliveries/").status_code == 404


@pytest.mark.parametrize(
    "url, reason",
    [
        ("https://127.0.0.1/in", "loopback"),
        ("https://10.1.2.3/in", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[::1]/in", "loopback"),
        ("https://localhost/in", "this machine"),
        ("https://internal.example/in", "private"),
    ],
)
def test_private_targets_are_refused_when_added_or_changed(
    admin_api, hook, settings, monkeypatch, url: str, reason: str
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    # No DNS here: the one name resolves to a private address, as an internal name would.
    monkeypatch.setattr("tickets.webhooks.targets.resolve", lambda host, port: ["192.168.1.5"])
    body = json.dumps({"url": url, "events": ["sla.overdue"]})
    added = admin_api.post("/api/webhooks/", body, content_type="application/json")
    assert added.status_code == 400
    assert reason in added.json()["errors"]["url"][0]
    changed = admin_api.patch(
        f"/api/webhooks/{hook.pk}/", json.dumps({"url": url}), content_type="application/json"
    )
    assert changed.status_code == 400 and reason in changed.json()["errors"]["url"][0]
    assert list(WebhookEndpoint.objects.values_list("url", flat=True)) == [hook.url]


def test_the_answers_follow_accept_language(admin_api) -> None:
    response = admin_api.get("/api/webhooks/424242/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.json() == {"errors": {"": ["Webhook-mottagaren finns inte."]}}
