"""Fixtures of the ticket tests: SLA settings through the real service, a frozen clock, and a JSON
client that calls the ticket API as a channel integration does (an agent's API token)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from settings_app.models import SlaSettingsChange
from settings_app.services import SaveResult, sla_settings_save
from tickets.api_auth.models import ApiToken


def utc(text: str) -> datetime.datetime:
    """ "2026-12-01T08:00:00Z" -> an aware UTC datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class JsonApi:
    """The ticket API through Django's test client; bodies are JSON, answers parsed."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get(self, path: str, params: dict[str, Any] | None = None) -> HttpResponse:
        return self.client.get(path, params or {})

    def post(self, path: str, data: Any, headers: dict[str, str] | None = None) -> HttpResponse:
        return self.client.post(
            path, json.dumps(data), content_type="application/json", headers=headers or {}
        )

    def patch(self, path: str, data: Any) -> HttpResponse:
        return self.client.patch(path, json.dumps(data), content_type="application/json")

    # Shortcuts for scenario tests: each asserts the success status and returns the JSON.
    def create(self, **fields: Any) -> dict[str, Any]:
        body = {"subject": "Printer on fire", "body": "Help!", "requester_email": "c@example.com"}
        response = self.post("/api/tickets/", {**body, **fields})
        assert response.status_code == 201, response.content
        return response.json()

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        response = self.get(f"/api/tickets/{ticket_id}/")
        assert response.status_code == 200, response.content
        return response.json()

    def update(self, ticket_id: int, **fields: Any) -> dict[str, Any]:
        response = self.patch(f"/api/tickets/{ticket_id}/", fields)
        assert response.status_code == 200, response.content
        return response.json()

    def message(
        self, ticket_id: int, *, author: str, internal: bool = False, body: str = "Hello"
    ) -> dict[str, Any]:
        data = {"body": body, "author": author, "internal": internal}
        response = self.post(f"/api/tickets/{ticket_id}/messages/", data)
        assert response.status_code == 201, response.content
        return response.json()

    def reply(self, ticket_id: int) -> dict[str, Any]:
        return self.message(ticket_id, author="agent")

    def customer(self, ticket_id: int) -> dict[str, Any]:
        return self.message(ticket_id, author="customer")


@pytest.fixture
def sla_settings(db) -> Callable[..., SaveResult]:
    """``sla_settings(document, apply_to="new")`` saves SLA settings through the real service."""

    def save(document: dict[str, Any], *, apply_to: str = "new") -> SaveResult:
        return sla_settings_save(
            document=document, actor=None, via=SlaSettingsChange.Via.COMMAND, apply_to=apply_to
        )

    return save


@pytest.fixture
def agent_token(agent) -> ApiToken:
    return ApiToken.objects.create(user=agent, key=ApiToken.generate_key(), name="channel")


@pytest.fixture
def api(agent_token) -> JsonApi:
    """The ticket API as a channel integration: ``Authorization: Token <agent's key>``."""
    return JsonApi(Client(headers={"Authorization": f"Token {agent_token.key}"}))


@pytest.fixture
def freeze(time_machine) -> Callable[[str], datetime.datetime]:
    """``freeze("2026-12-01T08:00:00Z")`` stops the clock at that moment (no ticking)."""

    def move(moment: str) -> datetime.datetime:
        instant = utc(moment)
        time_machine.move_to(instant, tick=False)
        return instant

    return move
