"""The ticket JSON API (SPEC section 7): create, list, read, update, add and list messages.

A django-ninja router (``slaproject.api_site`` mounts it under ``/api/``). Views check and
translate input, then call one service; the shapes come from ``tickets.selectors`` and are
described by ``tickets.schemas``. A POST with an ``Idempotency-Key`` seen in the last 24 hours
returns the first answer when the body is the same, and 422 when it is not.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from settings_app.models import Pipeline, Priority, Source, Stage, Team
from slaproject.api import (
    PAGE_PARAMETERS,
    ApiError,
    agent_auth,
    answer,
    error_responses,
    form_parameters,
    json_body,
    json_request_body,
    page_of,
    page_params,
    paged,
)
from slaproject.single_line import single_line
from tickets import schemas
from tickets.api_auth.idempotency import IDEMPOTENCY_HEADER, idempotent
from tickets.forms import TicketFilterForm
from tickets.models import MAX_BODY, MAX_SUBJECT, Message, Ticket, TicketChange
from tickets.outbound.selectors import message_deliveries
from tickets.selectors import (
    TicketFilters,
    TicketJson,
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

router = Router(auth=agent_auth, tags=["tickets"])


def _caller(request: HttpRequest) -> User:
    """The agent the request is authenticated as (``agent_auth`` let only agents through)."""
    user = request.user
    if not user.is_authenticated:
        raise ApiError(401, {"": [_("Authentication required: a session or an API token.")]})
    return user


def _object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ApiError(400, {"": [_("The body must be a JSON object.")]})
    return data


def _unknown_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, list[str]]:
    return {str(k)[:100]: [_("Unknown field.")] for k in data if k not in allowed}


def _text(
    data: Mapping[str, Any],
    name: str,
    errors: dict[str, list[str]],
    *,
    max_length: int,
    required: bool,
    one_line: bool = False,
) -> str:
    """A text field; with ``one_line`` cleaned to single-line text (``single_line``) first."""
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = [_("This field is required.")]
        return ""
    if not isinstance(value, str):
        errors[name] = [_("Must be text.")]
        return ""
    value = single_line(value) if one_line else value.strip()
    if required and not value:
        errors[name] = [_("This field may not be blank.")]
    elif len(value) > max_length:
        errors[name] = [
            _("At most %(max_length)s characters.") % {"max_length": format(max_length, ",")},
        ]
    elif "\x00" in value:
        errors[name] = [_("Must not contain NUL characters.")]
    return value


class _Absent(enum.Enum):
    """What a parser returns for a field the request left out (or refused)."""

    ABSENT = "absent"


ABSENT: Final = _Absent.ABSENT
# A model a request names by its slug.
_Slugged = TypeVar("_Slugged", Team, Pipeline)


def _choice(
    data: Mapping[str, Any], name: str, choices: list[str], errors: dict[str, list[str]]
) -> str | _Absent:
    """A key from ``choices``; "" or null clears it; ABSENT when absent."""
    if name not in data:
        return ABSENT
    value = data[name]
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or value not in choices:
        errors[name] = [_("Must be one of: %(choices)s.") % {"choices": ", ".join(choices)}]
        return ABSENT
    return value


# A team's or a pipeline's refusals, one sentence each (translators see the whole of it).
SLUG_MESSAGES: dict[str, dict[str, Callable[[], str]]] = {
    "team": {
        "type": lambda: _("Must be a team slug or null."),
        "unknown": lambda: _("No team %(value)s (known: %(known)s)."),
        "none": lambda: _("No team %(value)s (known: none)."),
    },
    "pipeline": {
        "type": lambda: _("Must be a pipeline slug or null."),
        "unknown": lambda: _("No pipeline %(value)s (known: %(known)s)."),
        "none": lambda: _("No pipeline %(value)s (known: none)."),
    },
}


def _slug_object(
    data: Mapping[str, Any], name: str, model: type[_Slugged], errors: dict[str, list[str]]
) -> _Slugged | None | _Absent:
    """A Team or Pipeline by slug; None for null; ABSENT when absent."""
    if name not in data:
        return ABSENT
    value = data[name]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors[name] = [SLUG_MESSAGES[name]["type"]()]
        return ABSENT
    found = model.objects.filter(slug=value).first()
    if found is None:
        known = ", ".join(model.objects.values_list("slug", flat=True)[:20])
        if known:
            message = SLUG_MESSAGES[name]["unknown"]() % {"value": repr(value[:50]), "known": known}
        else:
            message = SLUG_MESSAGES[name]["none"]() % {"value": repr(value[:50])}
        errors[name] = [message]
        return ABSENT
    return found


def _filters(request: HttpRequest) -> TicketFilters:
    """The list's filters through the queue's own form; a value that is not a choice is 400."""
    data = {name: request.GET[name] for name in TicketFilterForm.base_fields if name in request.GET}
    data.setdefault("stage", "any")  # the API lists every stage unless asked
    form = TicketFilterForm.from_data(data, sent_only=True)
    if not form.is_valid():
        raise ApiError(400, form.api_errors())
    return form.filters()


def _create(request: HttpRequest) -> TicketJson:
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
            errors["requester_email"] = [_("Enter a valid email address.")]
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
    return _ticket_body(ticket.pk)


def _ticket_body(ticket_id: int) -> TicketJson:
    ticket = ticket_get(ticket_id=ticket_id)
    if ticket is None:
        raise ApiError(404, {"": [_("No such ticket.")]})
    return ticket_json(ticket, now=timezone.now())


@router.get(
    "/tickets/",
    response={200: schemas.TicketPage, **error_responses(400, 404)},
    url_name="api_tickets",
    summary="List tickets",
    description=(
        "Nearest due first (the earliest due moment of a running, unpaused clock; tickets "
        "without one last), filtered as the queue page filters. Every stage unless `stage` "
        "says otherwise."
    ),
    openapi_extra={"parameters": form_parameters(TicketFilterForm) + PAGE_PARAMETERS},
)
def tickets_list_endpoint(request: HttpRequest) -> Any:
    now = timezone.now()
    errors: dict[str, list[str]] = {}  # every parameter's refusal in one answer
    try:
        filters = _filters(request)
    except ApiError as exc:
        errors.update(exc.errors)
    try:
        page_params(request)
    except ApiError as exc:
        errors.update(exc.errors)
    if errors:
        raise ApiError(400, errors)
    queryset = tickets_list(filters=filters, viewer=request.user, now=now)
    count = tickets_count(tickets=queryset, filters=filters, now=now)
    page = page_of(request, queryset, paginator_class=TicketPaginator, count=count)
    return answer(paged(request, page, [ticket_json(t, now=now) for t in page.object_list]))


@router.post(
    "/tickets/",
    response={201: schemas.Ticket, **error_responses(400, 413, 415, 422)},
    url_name="api_tickets",
    summary="Create a ticket",
    openapi_extra={
        **json_request_body(schemas.TicketCreate),
        "parameters": [IDEMPOTENCY_HEADER],
    },
)
def ticket_create_endpoint(request: HttpRequest) -> Any:
    return idempotent(request, lambda: _create(request))


def _patch(request: HttpRequest, ticket: Ticket) -> TicketJson:
    data = _object(json_body(request))
    allowed = ("priority", "team", "source", "pipeline", "status", "owner")
    errors = _unknown_keys(data, allowed)
    priority = _choice(data, "priority", Priority.values, errors)
    source = _choice(data, "source", Source.values, errors)
    if source == "":
        errors["source"] = [_("A ticket always has a source.")]
    team = _slug_object(data, "team", Team, errors)
    pipeline = _slug_object(data, "pipeline", Pipeline, errors)
    if pipeline is None:
        errors["pipeline"] = [_("A ticket always has a pipeline.")]
    owner: User | None | _Absent = ABSENT
    if "owner" in data:
        value = data["owner"]
        if value is None or value == "":
            owner = None
        elif not isinstance(value, str):
            errors["owner"] = [_("Must be a username or null.")]
        else:
            found = User.objects.filter(username=value, is_active=True).first()
            if found is None or not (found.is_staff or found.is_superuser):
                errors["owner"] = [_("No agent %(value)s.") % {"value": repr(value[:50])}]
            else:
                owner = found
    stage: Stage | None | _Absent = ABSENT
    if "status" in data:
        value = data["status"]
        target = pipeline if pipeline not in (ABSENT, None) else ticket.pipeline
        if not isinstance(value, str) or not value:
            errors["status"] = [_('Must be a stage slug of the ticket\'s pipeline, or "closed".')]
        else:
            stages = Stage.objects.filter(pipeline=target)
            stage = stages.filter(slug=value).first()
            if stage is None and value == "closed":
                stage = stages.filter(is_closed=True).order_by("position").first()
            if stage is None:
                known = ", ".join(stages.order_by("position").values_list("slug", flat=True))
                errors["status"] = [
                    _("No stage %(value)s in %(pipeline)s (known: %(known)s).")
                    % {"value": repr(value[:50]), "pipeline": target.slug, "known": known},
                ]
                stage = ABSENT
    if errors:
        raise ApiError(400, errors)
    changes = TicketChanges()
    if priority is not ABSENT:
        changes["priority"] = priority
    if team is not ABSENT:
        changes["team"] = team
    if source is not ABSENT:
        changes["source"] = source
    if pipeline is not ABSENT:
        changes["pipeline"] = pipeline
    if stage is not ABSENT:
        changes["stage"] = stage
    if owner is not ABSENT:
        changes["owner"] = owner
    try:
        ticket_update(
            ticket_id=ticket.pk,
            now=timezone.now(),
            actor=_caller(request),
            via=TicketChange.Via.API,
            **changes,
        )
    except TicketInputError as exc:
        raise ApiError(400, exc.errors) from None
    return _ticket_body(ticket.pk)


def _ticket_or_404(ticket_id: int) -> Ticket:
    ticket = ticket_get(ticket_id=ticket_id)
    if ticket is None:
        raise ApiError(404, {"": [_("No such ticket.")]})
    return ticket


@router.get(
    "/tickets/{int:ticket_id}/",
    response={200: schemas.Ticket, **error_responses(404)},
    url_name="api_ticket",
    summary="Read a ticket",
)
def ticket_read_endpoint(request: HttpRequest, ticket_id: int) -> Any:
    return answer(ticket_json(_ticket_or_404(ticket_id), now=timezone.now()))


@router.patch(
    "/tickets/{int:ticket_id}/",
    response={200: schemas.Ticket, **error_responses(400, 404, 413, 415)},
    url_name="api_ticket",
    summary="Change a ticket's properties, owner or stage",
    description="Only the fields sent change; the answer is the whole ticket.",
    openapi_extra=json_request_body(schemas.TicketUpdate),
)
def ticket_update_endpoint(request: HttpRequest, ticket_id: int) -> Any:
    return answer(_patch(request, _ticket_or_404(ticket_id)))


def _message(request: HttpRequest, ticket_id: int) -> TicketJson:
    data = _object(json_body(request))
    errors = _unknown_keys(data, ("body", "author", "internal"))
    body = _text(data, "body", errors, max_length=MAX_BODY, required=True)
    author = data.get("author", "customer")
    if author not in (Message.Author.CUSTOMER, Message.Author.AGENT):
        errors["author"] = [_('Must be "customer" or "agent".')]
    internal = data.get("internal", False)
    if not isinstance(internal, bool):
        errors["internal"] = [_("Must be true or false.")]
    elif internal and author == Message.Author.CUSTOMER:
        errors["internal"] = [_("Only agents write internal notes.")]
    if errors:
        raise ApiError(400, errors)
    try:
        ticket_message_add(
            ticket_id=ticket_id,
            body=body,
            author_kind=author,
            author=_caller(request),
            is_internal=internal,
            now=timezone.now(),
        )
    except TicketInputError as exc:
        raise ApiError(400, exc.errors) from None
    return _ticket_body(ticket_id)


@router.get(
    "/tickets/{int:ticket_id}/messages/",
    response={200: schemas.MessagePage, **error_responses(400, 404)},
    url_name="api_ticket_messages",
    summary="Read the conversation",
    description=(
        "The ticket's messages, oldest first, each public agent reply with its email's delivery."
    ),
    openapi_extra={"parameters": PAGE_PARAMETERS},
)
def ticket_messages_endpoint(request: HttpRequest, ticket_id: int) -> Any:
    ticket = Ticket.objects.filter(pk=ticket_id).only("id", "requester_email").first()
    if ticket is None:
        raise ApiError(404, {"": [_("No such ticket.")]})
    page = page_of(request, ticket_messages(ticket_id=ticket_id))
    deliveries = message_deliveries(m.pk for m in page.object_list)
    results = [
        message_json(m, requester_email=ticket.requester_email, delivery=deliveries.get(m.pk))
        for m in page.object_list
    ]
    return answer(paged(request, page, results))


@router.post(
    "/tickets/{int:ticket_id}/messages/",
    response={201: schemas.Ticket, **error_responses(400, 404, 413, 415, 422)},
    url_name="api_ticket_messages",
    summary="Add a message",
    description=(
        "A customer message, an agent's public reply (emailed to the requester) or, with "
        '"internal": true, an agent\'s note. The answer is the whole ticket.'
    ),
    openapi_extra={
        **json_request_body(schemas.MessageCreate),
        "parameters": [IDEMPOTENCY_HEADER],
    },
)
def ticket_message_add_endpoint(request: HttpRequest, ticket_id: int) -> Any:
    if not Ticket.objects.filter(pk=ticket_id).exists():
        raise ApiError(404, {"": [_("No such ticket.")]})
    return idempotent(request, lambda: _message(request, ticket_id))
