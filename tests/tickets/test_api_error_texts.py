"""The ticket API's refusals that quote a value: the same English sentences as always, and in
Swedish whole sentences with every value filled in (named placeholders, no leftover ``%(…)s``)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from settings_app.models import Team
from tests.factories import TicketFactory
from tests.tickets.conftest import JsonApi

pytestmark = pytest.mark.django_db

NEW = {"subject": "Printer on fire", "body": "Help!", "requester_email": "c@example.com"}


def _refusal(client: Client, method: str, path: str, data: dict, language: str) -> dict:
    response = getattr(client, method)(
        path, json.dumps(data), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400, response.content
    return response.json()["errors"]


@pytest.mark.parametrize(
    "method, fields, expected_en, expected_sv",
    [
        (
            "post",
            {"team": "nope"},
            {"team": ["No team 'nope' (known: none)."]},
            {"team": ["Det finns inget team 'nope' (kända: inga)."]},
        ),
        (
            "post",
            {"team": 7},
            {"team": ["Must be a team slug or null."]},
            {"team": ["Måste vara slug för ett team eller null."]},
        ),
        (
            "post",
            {"pipeline": "nope"},
            {"pipeline": ["No pipeline 'nope' (known: support)."]},
            {"pipeline": ["Det finns ingen pipeline 'nope' (kända: support)."]},
        ),
        (
            "post",
            {"pipeline": []},
            {"pipeline": ["Must be a pipeline slug or null."]},
            {"pipeline": ["Måste vara slug för en pipeline eller null."]},
        ),
        (
            "post",
            {"priority": "soon"},
            {"priority": ["Must be one of: low, medium, high, urgent."]},
            {"priority": ["Måste vara något av: low, medium, high, urgent."]},
        ),
        (
            "patch",
            {"owner": "ghost"},
            {"owner": ["No agent 'ghost'."]},
            {"owner": ["Det finns ingen agent 'ghost'."]},
        ),
        (
            "patch",
            {"status": "lost"},
            {
                "status": [
                    "No stage 'lost' in support (known: new, waiting-on-us, "
                    "waiting-on-customer, closed)."
                ]
            },
            {
                "status": [
                    "Det finns inget steg 'lost' i support (kända: new, waiting-on-us, "
                    "waiting-on-customer, closed)."
                ]
            },
        ),
    ],
)
def test_refusals_quote_the_value_in_english_and_in_swedish(
    api: JsonApi, method: str, fields: dict, expected_en: dict, expected_sv: dict
) -> None:
    if method == "post":
        path, data = "/api/tickets/", {**NEW, **fields}
    else:
        path, data = f"/api/tickets/{TicketFactory().pk}/", fields
    assert _refusal(api.client, method, path, data, "en") == expected_en
    assert _refusal(api.client, method, path, data, "sv") == expected_sv


def test_an_unknown_team_lists_the_known_ones(api: JsonApi) -> None:
    Team.objects.create(name="Billing", slug="billing")
    errors = _refusal(api.client, "post", "/api/tickets/", {**NEW, "team": "x" * 80}, "sv")
    assert errors == {"team": [f"Det finns inget team '{'x' * 50}' (kända: billing)."]}
