"""JSON API of the SLA settings: ``GET``/``PUT /api/sla/settings/`` and a recompute's progress
(super admins), and the reference lists a channel sets itself up with: teams, pipelines with
their stages, agents (any agent). A django-ninja router, mounted by ``slaproject.api_site``."""

from __future__ import annotations

import datetime
import logging
from typing import Any, TypedDict

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from settings_app import schemas
from settings_app.models import SlaSettingsChange
from settings_app.selectors import (
    agents_for_api,
    pipelines_for_api,
    sla_settings_document,
    teams_for_api,
)
from settings_app.services import (
    SAVE_FAILED_MESSAGE,
    SettingsValidationError,
    SettingsVersionConflict,
    sla_settings_check,
    sla_settings_save,
)
from settings_app.ticket_side import PreviewRun, Recompute, ticket_side
from slaproject.api import (
    PAGE_PARAMETERS,
    ApiError,
    agent_auth,
    answer,
    error_responses,
    json_body,
    json_request_body,
    page_of,
    paged,
    request_api_token,
    super_admin_auth,
)
from slaproject.health.selectors import recompute_waiting_since

logger = logging.getLogger(__name__)
router = Router(auth=agent_auth, tags=["settings"])


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


@router.get(
    "/sla/settings/",
    auth=super_admin_auth,
    response={200: schemas.SlaSettingsDocument, **error_responses()},
    url_name="api_settings",
    summary="Read the SLA settings",
)
def sla_settings_read_endpoint(request: HttpRequest) -> Any:
    return answer(sla_settings_document())


@router.put(
    "/sla/settings/",
    auth=super_admin_auth,
    response={
        200: schemas.SlaSettingsDocument,
        202: schemas.SlaSettingsQueued,
        **error_responses(400, 409, 413, 415, 503),
    },
    url_name="api_settings",
    summary="Replace the SLA settings",
    description=(
        "200 with the saved document; 202 when open tickets are being recomputed "
        '(`"apply_to": "new_and_open"`), with the recompute\'s progress added.'
    ),
    openapi_extra=json_request_body(schemas.SlaSettingsPut),
)
def sla_settings_endpoint(request: HttpRequest) -> Any:
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
        return answer({**result.document, "recompute": recompute_json(result.recompute)}, 202)
    return answer(result.document)


def preview_run_json(run: PreviewRun) -> dict[str, Any]:
    """A background dry run as the API shows it: progress, then the counts under ``result``
    (what the 200 of ``POST /api/sla/settings/preview/`` holds)."""
    result = None
    if run.state == "done" and run.result is not None:
        result = {"version": run.settings_version, "changes": run.changes, **run.result}
    return {
        "id": run.pk,
        "state": run.state,
        "tickets": run.tickets,
        "done": run.done,
        "url": reverse("api:api_settings_preview_run", kwargs={"pk": run.pk}),
        "error": _(run.error) if run.error else None,
        "result": result,
    }


@router.post(
    "/sla/settings/preview/",
    auth=super_admin_auth,
    response={
        200: dict[str, Any],
        202: schemas.SettingsPreviewQueued,
        **error_responses(400, 409, 413, 415, 503),
    },
    url_name="api_settings_preview",
    summary="Preview a settings change (dry run)",
    description=(
        "The body a PUT takes (`apply_to` ignored), validated as a save would be, compared with "
        'the saved settings and applied to the open tickets without writing anything: `{"version", '
        '"changes", "open_tickets", "computed_at", "clocks", "tickets"}`. With more open tickets '
        "than `SLA_PREVIEW_INLINE_MAX_TICKETS` (100,000 by default) the counts are worked out in "
        'the background: 202 with the same keys (`clocks` and `tickets` null) and `"preview"`, '
        "its progress (`id`, `url`), which `GET /api/sla/settings/previews/<id>/` follows until "
        '`state` is `"done"` (the counts in `result`) or `"failed"` (`error`).'
    ),
    openapi_extra=json_request_body(schemas.SlaSettingsPut),
)
def sla_settings_preview_endpoint(request: HttpRequest) -> Any:
    """The dry run of a settings document (see SPEC section 7 and the settings page's check)."""
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
    open_tickets = ticket_side().open_tickets_count()
    body: dict = {
        "version": check.before["version"],
        "changes": check.changes,
        "open_tickets": open_tickets,
        "computed_at": now.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "clocks": None,
        "tickets": None,
    }
    if check.changes and check.config is not None:
        if open_tickets > settings.SLA_PREVIEW_INLINE_MAX_TICKETS:
            run = ticket_side().settings_preview_start(
                document=document,
                settings_version=check.before["version"],
                changes=check.changes,
                tickets=open_tickets,
                requested_by=request.user,
            )
            body |= {"computed_at": None, "preview": preview_run_json(run)}
            return answer(body, 202)
        body |= ticket_side().settings_preview(config=check.config, now=now).as_json()
    return answer(body)


@router.get(
    "/sla/settings/previews/{int:pk}/",
    auth=super_admin_auth,
    response={200: schemas.SettingsPreviewRun, **error_responses(404)},
    url_name="api_settings_preview_run",
    summary="A background dry run's progress and counts",
)
def sla_settings_preview_run_endpoint(request: HttpRequest, pk: int) -> Any:
    """Progress of a dry run worked out in the background, then its counts (``result``)."""
    run = ticket_side().settings_preview_get(pk)
    if run is None:
        raise ApiError(404, {"": [_("No dry run with id %(id)s.") % {"id": pk}]})
    return answer(preview_run_json(run))


@router.get(
    "/sla/recomputes/{int:pk}/",
    auth=super_admin_auth,
    response={200: schemas.Recompute, **error_responses(404)},
    url_name="api_recompute",
    summary="A recompute's progress",
)
def sla_recompute_endpoint(request: HttpRequest, pk: int) -> Any:
    """Progress of a recompute of open tickets: ``{"id", "tickets", "done", "state"}``."""
    recompute = ticket_side().recompute_get(pk)
    if recompute is None:
        raise ApiError(404, {"": [_("No recompute with id %(id)s.") % {"id": pk}]})
    return answer(recompute_json(recompute))


# --- What a channel sets itself up with (agents) -----------------------------------------------


@router.get(
    "/teams/",
    response={200: schemas.TeamPage, **error_responses(400, 404)},
    url_name="api_teams",
    summary="Teams",
    description="Every team: its slug (what tickets and filters name) and name.",
    openapi_extra={"parameters": PAGE_PARAMETERS},
)
def teams_endpoint(request: HttpRequest) -> Any:
    page = page_of(request, teams_for_api())
    return answer(
        paged(request, page, [{"slug": t.slug, "name": t.name} for t in page.object_list])
    )


@router.get(
    "/pipelines/",
    response={200: schemas.PipelinePage, **error_responses(400, 404)},
    url_name="api_pipelines",
    summary="Pipelines with their stages",
    description="Every pipeline in its order, each with its stages (a ticket's `status`).",
    openapi_extra={"parameters": PAGE_PARAMETERS},
)
def pipelines_endpoint(request: HttpRequest) -> Any:
    page = page_of(request, pipelines_for_api())
    results = [
        {
            "slug": pipeline.slug,
            "name": pipeline.name,
            "stages": [
                {"slug": stage.slug, "name": stage.name, "closed": stage.is_closed}
                for stage in pipeline.stages.all()
            ],
        }
        for pipeline in page.object_list
    ]
    return answer(paged(request, page, results))


@router.get(
    "/agents/",
    response={200: schemas.AgentPage, **error_responses(400, 404)},
    url_name="api_agents",
    summary="Agents",
    description="Active agents by username (a ticket's `owner`), with their names.",
    openapi_extra={"parameters": PAGE_PARAMETERS},
)
def agents_endpoint(request: HttpRequest) -> Any:
    page = page_of(request, agents_for_api())
    results = [
        {"username": user.get_username(), "name": user.get_full_name()} for user in page.object_list
    ]
    return answer(paged(request, page, results))
