"""The ticket JSON API (SPEC section 7): create, list, read, update, add and list messages.

Views check and translate input, then call one service; the shapes come from
``tickets.selectors.ticket_json``. A POST with an ``Idempotency-Key`` seen in the last 24 hours
returns the first answer and creates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from settings_app.models import Pipeline, Priority, Source, Stage, Team
from slaproject.api import ApiError, api_endpoint, json_body
from slaproject.single_line import single_line
from tickets.idempotency import IDEMPOTENCY_WINDOW
from tickets.models import MAX_BODY, MAX_SUBJECT, IdempotencyKey, Message, Ticket, TicketChange
from tickets.outbound.selectors import message_deliveries
from tickets.selectors import (
    SLA_STATUS_FILTERS,
    TicketFilters,
    TicketPaginator,
    message_json,
    ticket_get,
    ticket_json,
    ticket_messages,
    tickets_count,
    tickets_list,
)
from tickets.services import (
    TicketChanges,
    TicketInputError,
    ticket_create,
    ticket_message_add,
    ticket_update,
)

User = get_user_model()
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ApiError(400, {"": ["The body must be a JSON object."]})
    return data


def _unknown_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, list[str]]:
    return {str(k)[:100]: ["Unknown field."] for k in data if k not in allowed}


def _text(
    data: Mapping[str, Any],
    name: str,
    errors: dict,
    *,
    max_length: int,
    required: bool,
    one_line: bool = False,
) -> str:
    """A text field; with ``one_line`` cleaned to single-line text (``single_line``) first."""
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = ["This field is required."]
        return ""
    if not isinstance(value, str):
        errors[name] = ["Must be text."]
        return ""
    value = single_line(value) if one_line else value.strip()
    if required and not value:
        errors[name] = ["This field may not be blank."]
    elif len(value) > max_length:
        errors[name] = [f"At most {max_length:,} characters."]
    elif "\x00" in value:
        errors[name] = ["Must not contain NUL characters."]
    return value


class _Absent:
    """What a parser returns for a field the request left out (or refused)."""


ABSENT = _Absent()


def _choice(data: Mapping[str, Any], name: str, choices: list[str], errors: dict) -> str | _Absent:
    """A key from ``choices``; "" or null clears it; ABSENT when absent."""
    if name not in data:
        return ABSENT
    value = data[name]
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or value not in choices:
        errors[name] = [f"Must be one of: {', '.join(choices)}."]
        return ABSENT
    return value


def _slug_object(data: Mapping[str, Any], name: str, model: Any, errors: dict) -> Any:
    """A Team or Pipeline by slug; None for null; ABSENT when absent."""
    if name not in data:
        return ABSENT
    value = data[name]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors[name] = [f"Must be a {name} slug or null."]
        return ABSENT
    found = model.objects.filter(slug=value).first()
    if found is None:
        known = ", ".join(model.objects.values_list("slug", flat=True)[:20])
        errors[name] = [f"No {name} {value[:50]!r} (known: {known or 'none'})."]
        return ABSENT
    return found


def _idempotent(request: HttpRequest, handler: Callable[[], JsonResponse]) -> JsonResponse:
    """Run ``handler`` once per ``Idempotency-Key`` (per user and path) in 24 hours."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return handler()
    if len(key) > 200:
        raise ApiError(400, {"Idempotency-Key": ["At most 200 characters."]})
    since = timezone.now() - IDEMPOTENCY_WINDOW
    lookup = {"user": request.user, "key": key, "path": request.path}

    def replay() -> JsonResponse | None:
        seen = IdempotencyKey.objects.filter(**lookup, created_at__gte=since).first()
        if seen is None:
            return None
        response = JsonResponse(seen.response_body, status=seen.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    earlier = replay()
    if earlier is not None:
        return earlier
    IdempotencyKey.objects.filter(**lookup, created_at__lt=since).delete()
    try:
        with transaction.atomic():
            response = handler()
            if response.status_code < 500:
                IdempotencyKey.objects.create(
                    **lookup,
                    status_code=response.status_code,
                    response_body=_json_of(response),
                    created_at=timezone.now(),
                )
    except IntegrityError:  # the same key raced us and won: answer what it answered
        earlier = replay()
        if earlier is None:
            raise
        return earlier
    return response


def _json_of(response: JsonResponse) -> Any:
    return json.loads(response.content)


def _page_url(request: HttpRequest, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(request.path) + "?" + urlencode(params, doseq=True)


def _filters(request: HttpRequest) -> TicketFilters:
    params = request.GET
    errors: dict[str, list[str]] = {}
    status = params.get("sla_status", "")
    if status and status not in SLA_STATUS_FILTERS:
        errors["sla_status"] = [f"Must be one of: {', '.join(SLA_STATUS_FILTERS)}."]
    priority = params.get("priority", "")
    if priority and priority not in Priority.values:
        errors["priority"] = [f"Must be one of: {', '.join(Priority.values)}."]
    for name in ("team", "stage", "owner", "q"):
        if "\x00" in params.get(name, ""):  # PostgreSQL refuses NUL in any text it compares
            errors[name] = ["Must not contain NUL characters."]
    if errors:
        raise ApiError(400, errors)
    return TicketFilters(
        sla_status=status,
        team=params.get("team", ""),
        priority=priority,
        stage=params.get("stage", ""),
        owner=params.get("owner", ""),
        q=params.get("q", "")[:200],
    )


def _page_size(request: HttpRequest) -> int:
    try:
        return min(max(int(request.GET.get("page_size", PAGE_SIZE)), 1), MAX_PAGE_SIZE)
    except ValueError:
        raise ApiError(400, {"page_size": ["Must be a whole number."]}) from None


def _page(request: HttpRequest, paginator: Paginator) -> Page:
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        raise ApiError(400, {"page": ["Must be a whole number."]}) from None
    except EmptyPage:
        raise ApiError(404, {"page": ["No such page."]}) from None


def _paged(request: HttpRequest, page: Page, results: list[dict]) -> JsonResponse:
    return JsonResponse(
        {
            "count": page.paginator.count,
            "next": _page_url(request, page.next_page_number()) if page.has_next() else None,
            "previous": (
                _page_url(request, page.previous_page_number()) if page.has_previous() else None
            ),
            "results": results,
        }
    )


def _list(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    filters = _filters(request)
    queryset = tickets_list(filters=filters, viewer=request.user, now=now)
    size = _page_size(request)
    count = tickets_count(tickets=queryset, filters=filters, now=now)
    page = _page(request, TicketPaginator(queryset, size, count=count))
    return _paged(request, page, [ticket_json(t, now=now) for t in page.object_list])


def _create(request: HttpRequest) -> JsonResponse:
    data = _object(json_body(request))
    allowed = ("subject", "body", "requester_email", "priority", "team", "source", "pipeline")
    errors = _unknown_keys(data, allowed)
    subject = _text(data, "subject", errors, max_length=MAX_SUBJECT, required=True, one_line=True)
    body = _text(data, "body", errors, max_length=MAX_BODY, required=True)
    email = _text(data, "requester_email", errors, max_length=254, required=True)
    if email and "requester_email" not in errors:
        try:
            validate_email(email)
        except ValidationError:
            errors["requester_email"] = ["Enter a valid email address."]
    priority = _choice(data, "priority", Priority.values, errors)
    source = _choice(data, "source", Source.values, errors)
    team = _slug_object(data, "team", Team, errors)
    pipeline = _slug_object(data, "pipeline", Pipeline, errors)
    if errors:
        raise ApiError(400, errors)
    try:
        ticket = ticket_create(
            subject=subject,
            body=body,
            requester_email=email,
            now=timezone.now(),
            priority="" if priority is ABSENT else priority,
            team=None if team is ABSENT else team,
            source=Source.API if source is ABSENT or source == "" else source,
            pipeline=None if pipeline is ABSENT else pipeline,
        )
    except TicketInputError as exc:
        raise ApiError(400, exc.errors) from None
    return JsonResponse(_ticket_body(ticket.pk), status=201)


def _ticket_body(ticket_id: int) -> dict:
    ticket = ticket_get(ticket_id=ticket_id)
    if ticket is None:
        raise ApiError(404, {"": ["No such ticket."]})
    return ticket_json(ticket, now=timezone.now())


@api_endpoint(methods=("GET", "POST"))
def tickets_endpoint(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        return _list(request)
    return _idempotent(request, lambda: _create(request))


def _patch(request: HttpRequest, ticket: Ticket) -> JsonResponse:
    data = _object(json_body(request))
    allowed = ("priority", "team", "source", "pipeline", "status", "owner")
    errors = _unknown_keys(data, allowed)
    priority = _choice(data, "priority", Priority.values, errors)
    source = _choice(data, "source", Source.values, errors)
    if source == "":
        errors["source"] = ["A ticket always has a source."]
    team = _slug_object(data, "team", Team, errors)
    pipeline = _slug_object(data, "pipeline", Pipeline, errors)
    if pipeline is None:
        errors["pipeline"] = ["A ticket always has a pipeline."]
    owner: Any = ABSENT
    if "owner" in data:
        value = data["owner"]
        if value is None or value == "":
            owner = None
        elif not isinstance(value, str):
            errors["owner"] = ["Must be a username or null."]
        else:
            owner = User.objects.filter(username=value, is_active=True).first()
            if owner is None or not (owner.is_staff or owner.is_superuser):
                errors["owner"] = [f"No agent {value[:50]!r}."]
                owner = ABSENT
    stage: Any = ABSENT
    if "status" in data:
        value = data["status"]
        target = pipeline if pipeline not in (ABSENT, None) else ticket.pipeline
        if not isinstance(value, str) or not value:
            errors["status"] = ['Must be a stage slug of the ticket\'s pipeline, or "closed".']
        else:
            stages = Stage.objects.filter(pipeline=target)
            stage = stages.filter(slug=value).first()
            if stage is None and value == "closed":
                stage = stages.filter(is_closed=True).order_by("position").first()
            if stage is None:
                known = ", ".join(stages.order_by("position").values_list("slug", flat=True))
                errors["status"] = [f"No stage {value[:50]!r} in {target.slug} (known: {known})."]
                stage = ABSENT
    if errors:
        raise ApiError(400, errors)
    parsed = {
        "priority": priority,
        "team": team,
        "source": source,
        "pipeline": pipeline,
        "stage": stage,
        "owner": owner,
    }
    changes = TicketChanges(**{k: v for k, v in parsed.items() if v is not ABSENT})
    try:
        ticket_update(
            ticket_id=ticket.pk,
            now=timezone.now(),
            actor=request.user,
            via=TicketChange.Via.API,
            **changes,
        )
    except TicketInputError as exc:
        raise ApiError(400, exc.errors) from None
    return JsonResponse(_ticket_body(ticket.pk))


@api_endpoint(methods=("GET", "PATCH"))
def ticket_endpoint(request: HttpRequest, ticket_id: int) -> JsonResponse:
    ticket = ticket_get(ticket_id=ticket_id)
    if ticket is None:
        raise ApiError(404, {"": ["No such ticket."]})
    if request.method == "GET":
        return JsonResponse(ticket_json(ticket, now=timezone.now()))
    return _patch(request, ticket)


def _message(request: HttpRequest, ticket_id: int) -> JsonResponse:
    if not Ticket.objects.filter(pk=ticket_id).exists():
        raise ApiError(404, {"": ["No such ticket."]})
    data = _object(json_body(request))
    errors = _unknown_keys(data, ("body", "author", "internal"))
    body = _text(data, "body", errors, max_length=MAX_BODY, required=True)
    author = data.get("author", "customer")
    if author not in (Message.Author.CUSTOMER, Message.Author.AGENT):
        errors["author"] = ['Must be "customer" or "agent".']
    internal = data.get("internal", False)
    if not isinstance(internal, bool):
        errors["internal"] = ["Must be true or false."]
    elif internal and author == Message.Author.CUSTOMER:
        errors["internal"] = ["Only agents write internal notes."]
    if errors:
        raise ApiError(400, errors)
    try:
        ticket_message_add(
            ticket_id=ticket_id,
            body=body,
            author_kind=author,
            author=request.user,
            is_internal=internal,
            now=timezone.now(),
        )
    except TicketInputError as exc:
        raise ApiError(400, exc.errors) from None
    return JsonResponse(_ticket_body(ticket_id), status=201)


def _messages(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """The ticket's messages, oldest first, each agent reply with its email's delivery."""
    ticket = Ticket.objects.filter(pk=ticket_id).only("id", "requester_email").first()
    if ticket is None:
        raise ApiError(404, {"": ["No such ticket."]})
    page = _page(request, Paginator(ticket_messages(ticket_id=ticket_id), _page_size(request)))
    deliveries = message_deliveries(m.pk for m in page.object_list)
    results = [
        message_json(m, requester_email=ticket.requester_email, delivery=deliveries.get(m.pk))
        for m in page.object_list
    ]
    return _paged(request, page, results)


@api_endpoint(methods=("GET", "POST"))
def ticket_messages_endpoint(request: HttpRequest, ticket_id: int) -> JsonResponse:
    if request.method == "GET":
        return _messages(request, ticket_id)
    return _idempotent(request, lambda: _message(request, ticket_id))
