"""A token is only as good as its owner's role at the moment of the request (SPEC §1, issue 13):
an agent demoted (``is_staff`` removed) or deactivated, or a super admin demoted to agent, loses
what the role gave at the very next request, through a token and through a session alike."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tickets.api_auth.models import ApiToken

pytestmark = pytest.mark.django_db

NEW = {"subject": "Hi", "body": "Hello", "requester_email": "a@example.com"}


def _client(user) -> Client:
    token = ApiToken.objects.create(user=user, key=ApiToken.generate_key())
    return Client(headers={"Authorization": f"Token {token.key}"})


def _create(client: Client) -> int:
    response = client.post("/api/tickets/", json.dumps(NEW), content_type="application/json")
    return response.status_code


def test_a_demoted_agents_token_is_refused_at_once(agent) -> None:
    api = _client(agent)
    assert api.get("/api/tickets/").status_code == 200
    assert _create(api) == 201
    agent.is_staff = False
    agent.save()
    refused = api.get("/api/tickets/")
    assert refused.status_code == 403
    assert refused.json() == {"errors": {"": ["Only agents may do this."]}}
    assert _create(api) == 403
    agent.is_staff = True  # made an agent again: the same token works again
    agent.save()
    assert api.get("/api/tickets/").status_code == 200


def test_a_deactivated_agents_token_is_401_at_once(agent) -> None:
    api = _client(agent)
    assert api.get("/api/tickets/").status_code == 200
    agent.is_active = False
    agent.save()
    for response in (api.get("/api/tickets/"), api.get("/api/teams/")):
        assert response.status_code == 401
        assert response.json() == {"errors": {"": ["Invalid or revoked API token."]}}
    assert _create(api) == 401


def test_a_super_admin_demoted_to_agent_loses_the_settings_api_at_once(super_admin) -> None:
    api = _client(super_admin)
    session = Client()
    session.force_login(super_admin)
    for client in (api, session):
        assert client.get("/api/sla/settings/").status_code == 200
        assert client.get("/api/webhooks/").status_code == 200
    super_admin.is_superuser = False  # still staff: an agent now
    super_admin.save()
    for client in (api, session):
        for path in ("/api/sla/settings/", "/api/webhooks/"):
            refused = client.get(path)
            assert refused.status_code == 403, path
            assert refused.json() == {"errors": {"": ["Only super admins may do this."]}}
        assert client.get("/api/tickets/").status_code == 200  # what an agent may, still
    put = api.put("/api/sla/settings/", json.dumps({}), content_type="application/json")
    assert put.status_code == 403
