"""The API tokens (``tickets.api_auth``): minted in the admin or by ``create_api_token`` with the
key shown once, listed by prefix, revoked in the admin; the admin's old address still leads
there."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tickets.api_auth.models import ApiToken, api_key_hash

pytestmark = pytest.mark.django_db


def test_adding_an_api_token_generates_a_key_shown_once(admin_client_: Client, agent):
    response = admin_client_.post(
        "/admin/apiauth/apitoken/add/", {"user": agent.pk, "name": "mail gateway"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'<code id="api-key">([^<]+)</code>', response.content.decode()).group(1)
    token = ApiToken.objects.get(name="mail gateway")
    assert token.user == agent and token.is_active
    assert len(key) >= 40 and token.key_prefix == key[:8]
    changelist = admin_client_.get("/admin/apiauth/apitoken/").content.decode()
    assert f"{key[:8]}…" in changelist and key not in changelist
    change = admin_client_.get(f"/admin/apiauth/apitoken/{token.pk}/change/").content.decode()
    assert key not in change
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get("/api/tickets/").status_code == 200


def test_revoking_a_token_in_the_admin(admin_client_: Client, agent):
    token = ApiToken.objects.create(user=agent, key=ApiToken.generate_key(), name="chat")
    response = admin_client_.post(
        f"/admin/apiauth/apitoken/{token.pk}/change/",
        {"name": "chat"},  # is_active unticked
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.is_active is False
    api = Client(headers={"Authorization": f"Token {token.key}"})
    assert api.get("/api/tickets/").status_code == 401


def test_tokens_are_offered_for_agents_only(admin_client_: Client, customer_user):
    response = admin_client_.post(
        "/admin/apiauth/apitoken/add/", {"user": customer_user.pk, "name": "x"}
    )
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_create_api_token_prints_a_working_key_on_its_last_line(agent) -> None:
    out = StringIO()
    call_command("create_api_token", agent.username, stdout=out, stderr=StringIO())
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(key_hash=api_key_hash(key))
    assert token.user == agent and token.key_prefix == key[:8]
    client = Client(headers={"Authorization": f"Token {key}"})
    assert client.get("/api/tickets/").status_code == 200


def test_create_api_token_refuses_users_who_are_not_agents(customer_user) -> None:
    with pytest.raises(CommandError):
        call_command("create_api_token", customer_user.username, stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=StringIO())
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/tickets/apitoken/", "/admin/apiauth/apitoken/"),
        (
            "/admin/tickets/apitoken/?is_active__exact=0",
            "/admin/apiauth/apitoken/?is_active__exact=0",
        ),
        ("/admin/tickets/apitoken/7/change/", "/admin/apiauth/apitoken/7/change/"),
    ],
)
def test_the_admin_s_old_address_redirects_for_good(admin_client_: Client, old: str, new: str):
    response = admin_client_.get(old)
    assert (response.status_code, response["Location"]) == (301, new)


def test_the_token_list_is_under_api_access_in_the_admin(admin_client_: Client, agent):
    ApiToken.objects.create(user=agent, key=ApiToken.generate_key(), name="chat")
    index = admin_client_.get("/admin/").content.decode()
    assert "API access" in index and 'href="/admin/apiauth/apitoken/"' in index
    assert admin_client_.get("/admin/apiauth/apitoken/").status_code == 200
