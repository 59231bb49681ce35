"""JSON API of the SLA settings: ``GET``/``PUT /api/sla/settings/`` (super admins)."""

from __future__ import annotations

import datetime
import logging
from typing import TypedDict

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_settings_document
from settings_app.services import (
    SAVE_FAILED_MESSAGE,
    SettingsValidationError,
    SettingsVersionConflict,
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


@api_endpoint(methods=("GET",), permission=SUPER_ADMIN)
def sla_recompute_endpoint(request: HttpRequest, pk: int) -> JsonResponse:
    """Progress of a recompute of open tickets: ``{"id", "tickets", "done", "state"}``."""
    recompute = ticket_side().recompute_get(pk)
    if recompute is None:
        raise ApiError(404, {"": [f"No recompute with id {pk}."]})
    return JsonResponse(recompute_json(recompute))
