"""The webhooks API (SPEC §7, docs/API.md), for super admins: endpoints (the secret in the answer
to the POST only), their delivery log, and a test event.

Views check and translate input, then call one service; the shapes come from
``tickets.webhooks.selectors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from slaproject.api import SUPER_ADMIN, ApiError, api_endpoint, json_body
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

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
FIELDS = ("url", "events", "active")


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ApiError(400, {"": ["The body must be a JSON object."]})
    unknown = {str(k)[:100]: ["Unknown field."] for k in data if k not in FIELDS}
    if unknown:
        raise ApiError(400, unknown)
    return data


def _paged(request: HttpRequest, queryset: QuerySet, shape: Any) -> JsonResponse:
    try:
        size = int(request.GET.get("page_size", PAGE_SIZE))
    except ValueError:
        raise ApiError(400, {"page_size": ["Must be a whole number."]}) from None
    if size < 1:
        raise ApiError(400, {"page_size": ["Must be at least 1."]})
    size = min(size, MAX_PAGE_SIZE)
    try:
        page: Page = Paginator(queryset, size).page(request.GET.get("page", 1))
    except PageNotAnInteger:
        raise ApiError(400, {"page": ["Must be a whole number."]}) from None
    except EmptyPage:
        raise ApiError(404, {"page": ["No such page."]}) from None

    def url(number: int) -> str:
        params = request.GET.copy()
        params["page"] = str(number)
        return request.build_absolute_uri(request.path) + "?" + urlencode(params, doseq=True)

    return JsonResponse(
        {
            "count": page.paginator.count,
            "next": url(page.next_page_number()) if page.has_next() else None,
            "previous": url(page.previous_page_number()) if page.has_previous() else None,
            "results": [shape(item) for item in page.object_list],
        }
    )


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        raise ApiError(404, {"": ["No such webhook endpoint."]})
    return endpoint


@api_endpoint(methods=("GET", "POST"), permission=SUPER_ADMIN)
def webhooks_endpoint(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _paged(request, endpoints_list(), endpoint_json)
    data = _object(json_body(request))
    if "url" not in data or "events" not in data:
        raise ApiError(
            400,
            {name: ["This field is required."] for name in ("url", "events") if name not in data},
        )
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
    return JsonResponse(body, status=201)


@api_endpoint(methods=("GET", "PATCH", "DELETE"), permission=SUPER_ADMIN)
def webhook_endpoint(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(endpoint_id)
    if request.method == "GET":
        return JsonResponse(endpoint_json(endpoint))
    if request.method == "DELETE":
        webhook_endpoint_delete(endpoint_id=endpoint.pk)
        return HttpResponse(status=204)
    data = _object(json_body(request))
    try:
        webhook_endpoint_update(endpoint_id=endpoint.pk, now=timezone.now(), **data)
    except WebhookInputError as exc:
        raise ApiError(400, exc.errors) from None
    return JsonResponse(endpoint_json(_endpoint(endpoint.pk)))


@api_endpoint(methods=("GET",), permission=SUPER_ADMIN)
def webhook_deliveries_endpoint(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(endpoint_id)
    return _paged(request, endpoint_deliveries(endpoint_id=endpoint.pk), delivery_json)


@api_endpoint(methods=("POST",), permission=SUPER_ADMIN)
def webhook_test_endpoint(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(endpoint_id)
    delivery = webhook_test_send(endpoint_id=endpoint.pk, now=timezone.now())
    return JsonResponse({"delivery": delivery.pk, "event_id": delivery.event_id}, status=202)
