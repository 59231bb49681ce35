"""Moving the API's models out of ``tickets`` (issue 20) keeps what a database holds: a database
migrated to just before the move, with tokens, an idempotency key, a permission held by a user and
a group, and admin history, is migrated forward and everything still works."""

from __future__ import annotations

import datetime
import hashlib
import importlib
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from tickets.api_auth.models import ApiToken, IdempotencyKey, api_key_hash

User = get_user_model()
MOVE = importlib.import_module("tickets.api_auth.migrations.0001_initial").Migration
# Every app at its migration just before the move, and the API's app not yet there.
TICKETS_BEFORE = [dependency for dependency in MOVE.dependencies if dependency[0] == "tickets"]
BEFORE = [*TICKETS_BEFORE, ("apiauth", None)]
BODY = {"subject": "Printer on fire", "body": "Help!", "requester_email": "c@example.com"}


def _digest(body: dict[str, str]) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_moving_the_api_models_keeps_tokens_keys_permissions_and_history(agent) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(TICKETS_BEFORE).apps
    key = ApiToken.generate_key()
    token = old.get_model("tickets", "ApiToken").objects.create(
        key_hash=api_key_hash(key), key_prefix=key[:8], user_id=agent.pk, name="gateway"
    )
    answer = {"id": 4711, "subject": "Printer on fire"}
    old.get_model("tickets", "IdempotencyKey").objects.create(
        user_id=agent.pk,
        key="retry-1",
        path="/api/tickets/",
        request_hash=_digest(BODY),
        status_code=201,
        response_body=answer,
        created_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    # Content types, permissions, groups and the admin's history: their tables are unchanged.
    content_type = ContentType.objects.get(app_label="tickets", model="apitoken")
    assert not ContentType.objects.filter(app_label="apiauth").exists()
    permission = Permission.objects.get(content_type=content_type, codename="change_apitoken")
    User.objects.create(username="staff", is_staff=True).user_permissions.add(permission)
    group = Group.objects.create(name="token keepers")
    group.permissions.add(permission)
    User.objects.create(username="member", is_staff=True).groups.add(group)
    LogEntry.objects.create(
        user_id=agent.pk,
        content_type=content_type,
        object_id=str(token.pk),
        object_repr="gateway",
        action_flag=1,
        action_time=timezone.now(),
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    # The same rows, under the new app's models (the tables did not move).
    moved = ApiToken.objects.get()
    assert (moved.pk, moved.name, moved.user_id, moved.key_prefix) == (
        token.pk,
        "gateway",
        agent.pk,
        key[:8],
    )
    assert IdempotencyKey.objects.get().response_body == answer
    # The same content type row, relabelled: permissions, groups and history follow it.
    assert ContentType.objects.get_for_model(ApiToken).pk == content_type.pk
    assert not ContentType.objects.filter(app_label="tickets", model="apitoken").exists()
    assert User.objects.get(username="staff").has_perm("apiauth.change_apitoken")
    assert User.objects.get(username="member").has_perm("apiauth.change_apitoken")
    assert LogEntry.objects.get().get_edited_object() == moved
    # The key still signs in, and the stored answer is replayed.
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get("/api/tickets/").status_code == 200
    response = api.post(
        "/api/tickets/",
        json.dumps(BODY),
        content_type="application/json",
        headers={"Idempotency-Key": "retry-1"},
    )
    assert (response.status_code, response.json()) == (201, answer)
    assert response["Idempotent-Replayed"] == "true"
