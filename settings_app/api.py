"""JSON API of the SLA settings (super admins): ``GET``/``PUT /api/sla/settings/``, and
``POST /api/sla/settings/preview/``, the dry run of a document (nothing is saved)."""

from __future__ import annotations

import datetime
import logging
from typing import TypedDict

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from settings_app.dry_run import settings_dry_run
from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_settings_document
from settings_app.services import (
    SAVE_FAILED_MESSAGE,
    SettingsValidationError,
    SettingsVersionConflict,
    sla_settings_check,
    sla_settings_save,
)
from settings_app.ticket_side import Recompute, ticket_side
from slaproject.api import SUPER_ADMIN, ApiError, api_endpoint, json_body, request_api_token
from slaproject.health.selectors import recompute_waiting_since

logger = logging.getLogger(__name__)


class RecomputeJson(TypedDict):
    """A recompute's progress as the API shows it (SPEC section 7)."""

    id: int
    tickets: int
    done: int
    state: str
    waiting_for_worker_since: str | None


def recompute_json(recompute: Recompute) -> RecomputeJson:
    """A recompute's progress; ``waiting_for_worker_since`` (ISO 8601, UTC, or null) says since
    when it has made no progress while no background worker was seen for a minute."""
    waiting = recompute_waiting_since(recompute, now=timezone.now())
    return {
        "id": recompute.pk,
        "tickets": recompute.tickets,
        "done": recompute.done,
        "state": recompute.state,
        "waiting_for_worker_since": (
            waiting.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z") if waiting else None
        ),
    }


@api_endpoint(methods=("GET", "PUT"), permission=SUPER_ADMIN)
def sla_settings_endpoint(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        return JsonResponse(sla_settings_document())
    document = json_body(request)
    try:
        token = request_api_token(request)
        result = sla_settings_save(
            document=document,
            actor=request.user,
            via=SlaSettingsChange.Via.API,
            api_token=token.audit_label if token is not None else "",
        )
    except SettingsValidationError as exc:
        raise ApiError(400, exc.errors) from None
    except SettingsVersionConflict as exc:
        raise ApiError(409, {"version": [str(exc)]}) from None
    except DatabaseError:  # the save is one transaction: it was rolled back whole
        logger.exception("SLA settings save failed in the database")
        raise ApiError(503, {"": [SAVE_FAILED_MESSAGE]}) from None
    if result.recompute is not None:
        body = {**result.document, "recompute": recompute_json(result.recompute)}
        return JsonResponse(body, status=202)
    return JsonResponse(result.document)


@api_endpoint(methods=("POST",), permission=SUPER_ADMIN)
def sla_settings_preview_endpoint(request: HttpRequest) -> JsonResponse:
    """The dry run of a settings document (the body a PUT takes; ``apply_to`` is ignored):
    validated as a save would be (400/409 alike), compared with the saved settings, and applied
    to the open tickets without writing anything. 200 with::

        {"version": 7,                       # the saved version it was compared with
         "changes": [{"field", "before", "after"}, …],   # what a save would change ([]: none)
         "open_tickets": 1204,
         "computed_at": "2026-12-03T13:17:00Z",
         "clocks": {"first_response": {"earlier", "later", "unchanged", "started", "removed",
                                       "overdue_now", "due_soon_now"},
                    "next_response": {…}, "close": {…}},
         "tickets": {"changed", "overdue_now", "due_soon_now"}}

    ``clocks`` and ``tickets`` count what "new and open tickets" would do to the running clocks
    of open tickets, by the recompute's own rules; both are null when the document changes
    nothing (a save would write nothing and recompute nothing).
    """
    document = json_body(request)
    now = timezone.now()
    try:
        check = sla_settings_check(document=document, now=now)
    except SettingsValidationError as exc:
        raise ApiError(400, exc.errors) from None
    except SettingsVersionConflict as exc:
        raise ApiError(409, {"version": [str(exc)]}) from None
    except DatabaseError:
        logger.exception("SLA settings preview failed in the database")
        raise ApiError(503, {"": [SAVE_FAILED_MESSAGE]}) from None
    body: dict = {
        "version": check.before["version"],
        "changes": check.changes,
        "open_tickets": ticket_side().open_tickets_count(),
        "computed_at": now.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "clocks": None,
        "tickets": None,
    }
    if check.changes and check.config is not None:
        preview = settings_dry_run(config=check.config, now=now)
        if preview is not None:
            body |= preview.as_json()
    return JsonResponse(body)


@api_endpoint(methods=("GET",), permission=SUPER_ADMIN)
def sla_recompute_endpoint(request: HttpRequest, pk: int) -> JsonResponse:
    """Progress of a recompute of open tickets: ``{"id", "tickets", "done", "state"}``."""
    recompute = ticket_side().recompute_get(pk)
    if recompute is None:
        raise ApiError(404, {"": [f"No recompute with id {pk}."]})
    return JsonResponse(recompute_json(recompute))
