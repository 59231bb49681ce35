"""Agents' downloads of inbound email: attachments and the original message.

Both are served only to agents, never rendered as a page of ours: an attachment always as a
download (``Content-Disposition: attachment``), the original as plain text; both with ``nosniff``
(no browser guesses HTML in them) and a sandboxing Content-Security-Policy, so a hostile file
can never run in the help desk's origin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, cast

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from slaproject.api import is_agent
from tickets.inbound.selectors import attachment_get, original_email_get


def _locked_down(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


_Params = ParamSpec("_Params")
_sandbox = csp_update({"sandbox": True})


def sandboxed(view: Callable[_Params, HttpResponse]) -> Callable[_Params, HttpResponse]:
    """The app's Content-Security-Policy plus ``sandbox``: even opened in a tab, nothing in the
    file runs in the help desk's origin. django-csp's decorator wraps any view (it passes the
    arguments on as they are), but its annotation names only views that take the request
    alone: the casts say what it does."""
    return cast(
        "Callable[_Params, HttpResponse]",
        _sandbox(cast("Callable[[HttpRequest], HttpResponse]", view)),
    )


@sandboxed
@login_required
@require_GET
def attachment_download(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    if not is_agent(request.user):
        raise PermissionDenied
    attachment = attachment_get(ticket_id=ticket_id, attachment_id=attachment_id)
    if attachment is None:
        raise Http404("No such attachment.")
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.filename
    )
    return _locked_down(response)


@sandboxed
@login_required
@require_GET
def original_email(request: HttpRequest, ticket_id: int, message_id: int) -> HttpResponse:
    """The email as it arrived: as text in the browser, or ``?download=1`` as an .eml file."""
    if not is_agent(request.user):
        raise PermissionDenied
    email = original_email_get(ticket_id=ticket_id, message_id=message_id)
    if email is None:
        raise Http404("No original email for this message.")
    raw = bytes(email.raw)
    if request.GET.get("download"):
        response = HttpResponse(raw, content_type="message/rfc822")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"ticket-{ticket_id}-message-{message_id}.eml"
        )
    else:
        text = raw.decode("utf-8", "replace")
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    return _locked_down(response)
