"""The webhooks API (SPEC §7, docs/API.md), for super admins: endpoints (the secret in the answer
to the POST only), their delivery log, and a test event.

A django-ninja router (``slaproject.api_site`` mounts it under ``/api/``), so these endpoints
follow the same rules as the rest of the API (``slaproject.api``: 401, 403, 429, JSON errors,
paging) and are described by ``/api/schema/``. Views check and translate input, then call one
service; the shapes come from ``tickets.webhooks.selectors`` and are described by
``tickets.webhooks.schemas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from slaproject.api import (
    PAGE_PARAMETERS,
    ApiError,
    answer,
    error_responses,
    json_body,
    json_request_body,
    page_of,
    paged,
    super_admin_auth,
)
from tickets.webhooks import schemas
from tickets.webhooks.models import WebhookEndpoint
from tickets.webhooks.selectors import (
    delivery_json,
    endpoint_deliveries,
    endpoint_get,
    endpoint_json,
    endpoints_list,
)
from tickets.webhooks.services import (
    WebhookInputError,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_test_send,
)

router = Router(auth=super_admin_auth, tags=["webhooks"])
FIELDS = ("url", "events", "active")


def _object(data: Any) -> Mapping[str, Any]:
    """The body as an object of known fields only (400 naming each unknown one)."""
    if not isinstance(data, Mapping):
        raise ApiError(400, {"": [_("The body must be a JSON object.")]})
    unknown = {str(k)[:100]: [_("Unknown field.")] for k in data if k not in FIELDS}
    if unknown:
        raise ApiError(400, unknown)
    return data


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        raise ApiError(404, {"": [_("No such webhook endpoint.")]})
    return endpoint


@router.get(
    "/webhooks/",
    response={200: schemas.WebhookEndpointPage, **error_responses(400, 404)},
    url_name="api_webhooks",
    summary="List webhook endpoints",
    description="Oldest first, each with its newest delivery. Super admins only.",
    openapi_extra={"parameters": PAGE_PARAMETERS},
)
def webhooks_list_endpoint(request: HttpRequest) -> Any:
    page = page_of(request, endpoints_list())
    return answer(paged(request, page, [endpoint_json(e) for e in page.object_list]))


@router.post(
    "/webhooks/",
    response={201: schemas.WebhookEndpointCreated, **error_responses(400, 413, 415)},
    url_name="api_webhooks",
    summary="Add a webhook endpoint",
    description=(
        "The answer carries the endpoint's `secret`, which signs every delivery: it is shown "
        "this once. Private, loopback and link-local targets are refused. Super admins only."
    ),
    openapi_extra=json_request_body(schemas.WebhookEndpointCreate),
)
def webhook_create_endpoint(request: HttpRequest) -> Any:
    data = _object(json_body(request))
    missing = [name for name in ("url", "events") if name not in data]
    if missing:
        raise ApiError(400, {name: [_("This field is required.")] for name in missing})
    try:
        created = webhook_endpoint_create(
            actor=request.user,
            url=data["url"],
            events=data["events"],
            active=data.get("active", True),
            now=timezone.now(),
        )
    except WebhookInputError as exc:
        raise ApiError(400, exc.errors) from None
    body = endpoint_json(_endpoint(created.pk))
    body["secret"] = created.secret  # this once
    return answer(body, 201)


@router.get(
    "/webhooks/{int:endpoint_id}/",
    response={200: schemas.WebhookEndpoint, **error_responses(404)},
    url_name="api_webhook",
    summary="Read a webhook endpoint",
    description="Without its secret (shown once, when it was added). Super admins only.",
)
def webhook_read_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    return answer(endpoint_json(_endpoint(endpoint_id)))


@router.patch(
    "/webhooks/{int:endpoint_id}/",
    response={200: schemas.WebhookEndpoint, **error_responses(400, 404, 413, 415)},
    url_name="api_webhook",
    summary="Change a webhook endpoint's URL, events or switch",
    description=(
        "Only the fields sent change; switching it on again forgets its failures. Super admins "
        "only."
    ),
    openapi_extra=json_request_body(schemas.WebhookEndpointUpdate),
)
def webhook_update_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    endpoint = _endpoint(endpoint_id)
    data = _object(json_body(request))
    try:
        webhook_endpoint_update(endpoint_id=endpoint.pk, now=timezone.now(), **data)
    except WebhookInputError as exc:
        raise ApiError(400, exc.errors) from None
    except WebhookEndpoint.DoesNotExist:  # deleted meanwhile
        raise ApiError(404, {"": [_("No such webhook endpoint.")]}) from None
    return answer(endpoint_json(_endpoint(endpoint.pk)))


@router.delete(
    "/webhooks/{int:endpoint_id}/",
    response={204: None, **error_responses(404)},
    url_name="api_webhook",
    summary="Delete a webhook endpoint and its delivery log",
    description="Super admins only.",
)
def webhook_delete_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    if not webhook_endpoint_delete(endpoint_id=endpoint_id):
        raise ApiError(404, {"": [_("No such webhook endpoint.")]})
    return HttpResponse(status=204)


@router.get(
    "/webhooks/{int:endpoint_id}/deliveries/",
    response={200: schemas.WebhookDeliveryPage, **error_responses(400, 404)},
    url_name="api_webhook_deliveries",
    summary="An endpoint's delivery log",
    description=(
        "Newest first, each delivery with its attempts (status code, duration, the answer's "
        "first characters). Super admins only."
    ),
    openapi_extra={"parameters": PAGE_PARAMETERS},
)
def webhook_deliveries_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    endpoint = _endpoint(endpoint_id)
    page = page_of(request, endpoint_deliveries(endpoint_id=endpoint.pk))
    return answer(paged(request, page, [delivery_json(d) for d in page.object_list]))


@router.post(
    "/webhooks/{int:endpoint_id}/test/",
    response={202: schemas.WebhookTestQueued, **error_responses(404)},
    url_name="api_webhook_test",
    summary="Send a test event",
    description=(
        'Queues a "webhook.test" delivery to the endpoint (also when it is switched off); its '
        "outcome shows in the delivery log. Super admins only."
    ),
)
def webhook_test_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    endpoint = _endpoint(endpoint_id)
    try:
        delivery = webhook_test_send(endpoint_id=endpoint.pk, now=timezone.now())
    except WebhookEndpoint.DoesNotExist:  # deleted meanwhile
        raise ApiError(404, {"": [_("No such webhook endpoint.")]}) from None
    return answer({"delivery": delivery.pk, "event_id": delivery.event_id}, 202)
