"""Nobody gains a super admin's powers through the admin, API keys are stored only as hashes, and
the audit log names the token a change was made with (issue "Security, second round").

Support staff here hold every model permission Django has (``world.users["staff"]``), as in the
permission walk; they play the attacker of the issue's report.
"""

from __future__ import annotations

import hashlib
import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_settings_document
from tests.hardening.conftest import World
from tickets.api_auth.models import ApiToken
from tickets.models import AgentProfile

ADD = "/admin/apiauth/apitoken/add/"
SETTINGS_API = "/api/sla/settings/"
# Anything in a page that could be an API key: a long run of URL-safe characters.
KEY_LIKE = re.compile(r"[A-Za-z0-9_-]{32,}")


def _user_options(html: str) -> set[str]:
    select = re.search(r'<select name="user"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no user field on the page"
    return set(re.findall(r'<option value="(\d+)"', select.group(1)))


def _put_settings(key: str, timezone: str = "Asia/Tokyo") -> Any:
    document = {**sla_settings_document(), "timezone": timezone}
    document.pop("version")
    return Client().put(
        SETTINGS_API,
        json.dumps(document),
        content_type="application/json",
        headers={"Authorization": f"Token {key}"},
    )


def _shown_key(response: Any) -> str:
    match = re.search(r'<code id="api-key">([^<]+)</code>', response.content.decode())
    assert match, "the new key is not shown"
    return match.group(1)


# --- Minting tokens --------------------------------------------------------------------------


def test_staff_cannot_mint_a_token_for_a_super_admin_nor_reach_the_settings_api(
    world: World,
) -> None:
    staff, boss = world.clients["staff"], world.users["super_admin"]
    offered = _user_options(staff.get(ADD).content.decode())
    assert str(boss.pk) not in offered
    assert {str(world.users["staff"].pk), str(world.users["agent"].pk)} <= offered
    changes_before = SlaSettingsChange.objects.count()

    # The attack of the report: post the super admin's id anyway, then use whatever key shows.
    response = staff.post(ADD, {"user": boss.pk, "name": "sneaky"}, follow=True)
    for key in KEY_LIKE.findall(response.content.decode()):
        assert _put_settings(key).status_code != 200
    assert not ApiToken.objects.filter(user=boss).exists()

    # A token staff may mint (their own) does not open the settings API either.
    own = _shown_key(staff.post(ADD, {"user": world.users["staff"].pk, "name": "mine"}))
    assert _put_settings(own).status_code == 403
    assert SlaSettingsChange.objects.count() == changes_before


def test_staff_mint_tokens_for_themselves_and_for_agents(world: World) -> None:
    staff = world.clients["staff"]
    key = _shown_key(staff.post(ADD, {"user": world.users["agent"].pk, "name": "chat"}))
    token = ApiToken.objects.get(name="chat")
    assert (token.user, token.created_by) == (world.users["agent"], world.users["staff"])
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get("/api/tickets/").status_code == 200


def test_only_a_super_admin_sees_or_revokes_a_super_admins_token(world: World) -> None:
    boss = world.users["super_admin"]
    token = ApiToken.objects.create(user=boss, key=ApiToken.generate_key(), name="boss cli")
    staff = world.clients["staff"]
    base = f"/admin/apiauth/apitoken/{token.pk}/"
    assert "boss cli" not in staff.get("/admin/apiauth/apitoken/").content.decode()
    for page in ("change/", "delete/", "history/", ""):
        response = staff.get(base + page)
        assert response.status_code == 302 and response["Location"] in (
            "/admin/",
            f"{base}change/",
        ), page
    staff.post(f"{base}change/", {"name": "boss cli"})  # "active" unticked
    staff.post(f"{base}delete/", {"post": "yes"})
    staff.post(
        "/admin/apiauth/apitoken/",
        {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"},
    )
    token.refresh_from_db()
    assert token.is_active
    assert _put_settings(token.key).status_code == 200  # still the boss's working token

    boss_admin = world.clients["super_admin"]
    assert "boss cli" in boss_admin.get("/admin/apiauth/apitoken/").content.decode()
    assert boss_admin.post(f"{base}change/", {"name": "boss cli"}).status_code == 302
    token.refresh_from_db()
    assert not token.is_active


def test_only_a_super_admin_changes_a_super_admins_preferences(world: World) -> None:
    boss = world.users["super_admin"]
    profile = AgentProfile.objects.create(user=boss, timezone="Europe/Stockholm")
    staff = world.clients["staff"]
    url = f"/admin/tickets/agentprofile/{profile.pk}/change/"
    assert staff.get(url).status_code == 302
    staff.post(url, {"user": boss.pk, "timezone": "", "email_notifications": ""})
    assert str(boss.pk) not in _user_options(
        staff.get("/admin/tickets/agentprofile/add/").content.decode()
    )
    profile.refresh_from_db()
    assert (profile.timezone, profile.email_notifications) == ("Europe/Stockholm", True)
    assert world.clients["super_admin"].get(url).status_code == 200


# --- The audit log names the token -----------------------------------------------------------


def test_a_change_made_with_a_token_records_its_user_and_the_token(world: World) -> None:
    boss = world.clients["super_admin"]
    key = _shown_key(boss.post(ADD, {"user": world.users["super_admin"].pk, "name": "ci"}))
    token = ApiToken.objects.get(name="ci")
    assert _put_settings(key, "Asia/Tokyo").status_code == 200
    change = SlaSettingsChange.objects.order_by("-id").first()
    assert (change.actor, change.via) == (world.users["super_admin"], "api")
    assert change.api_token == f"{key[:8]}… “ci” (#{token.pk})"
    audit = boss.get("/settings/sla/audit/").content.decode()
    assert f"token {key[:8]}…" in audit
    # Changes without a token name none.
    assert SlaSettingsChange.objects.exclude(pk=change.pk).filter(api_token="").exists()


# --- Keys are stored only as hashes ----------------------------------------------------------


def _stored_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tickets_apitoken")
        return repr(cursor.fetchall())


def test_no_token_is_stored_as_it_was_shown(world: World) -> None:
    from_admin = _shown_key(
        world.clients["super_admin"].post(ADD, {"user": world.users["agent"].pk})
    )
    out = StringIO()
    call_command("create_api_token", "agent", stdout=out, stderr=StringIO())
    from_command = out.getvalue().strip().splitlines()[-1]
    stored = _stored_rows()
    for key in (from_admin, from_command, world.token.key):
        assert key not in stored
        assert hashlib.sha256(key.encode()).hexdigest() in stored
        assert (
            Client(headers={"Authorization": f"Token {key}"}).get("/api/tickets/").status_code
            == 200
        )
    # Afterwards only the prefix is shown.
    listed = world.clients["super_admin"].get("/admin/apiauth/apitoken/").content.decode()
    assert f"{from_command[:8]}…" in listed and from_command not in listed


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_the_tokens_stored_before(agent: Any) -> None:
    before = [("tickets", "0009_ticket_history")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("tickets", "ApiToken")
    key = "0123456789abcdef0123456789abcdef01234567"  # a key as they were made before
    old.objects.create(key=key, user_id=agent.pk, name="gateway")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert key not in _stored_rows()
    token = ApiToken.objects.get(name="gateway")
    assert (token.key_hash, token.key_prefix) == (hashlib.sha256(key.encode()).hexdigest(), key[:8])
    assert Client(headers={"Authorization": f"Token {key}"}).get("/api/tickets/").status_code == 200
