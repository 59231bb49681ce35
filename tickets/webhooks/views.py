"""The webhooks page for super admins (``/settings/webhooks/``): endpoints with their events, last
delivery and status, a form to add one (its secret shown once), and per endpoint a delivery log,
a "send test event" button, a switch and delete.

Views parse input with ``tickets.webhooks.forms`` and write through ``tickets.webhooks.services``;
a POST redirects on success and answers bad input with messages next to the fields.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from slaproject.api import is_super_admin
from tickets.webhooks.forms import EndpointForm
from tickets.webhooks.models import EventType
from tickets.webhooks.selectors import (
    DELIVERY_LOG_SIZE,
    endpoint_deliveries,
    endpoint_get,
    endpoints_list,
)
from tickets.webhooks.services import (
    WebhookInputError,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_test_send,
)

NEW_SECRET = "webhooks_new_secret"  # session key: the secret to show once


def _require_super_admin(request: HttpRequest) -> None:
    if not is_super_admin(request.user):
        raise PermissionDenied


def _page(request: HttpRequest, *, form: EndpointForm | None = None, status: int = 200):
    shown = request.session.pop(NEW_SECRET, None)
    context = {
        "nav": "settings",
        "tab": "webhooks",
        "endpoints": list(endpoints_list()),
        "form": form or EndpointForm(initial={"active": True}),
        "event_labels": dict(EventType.choices),
        "new_secret": shown,
    }
    return render(request, "webhooks/webhooks.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def webhooks_page(request: HttpRequest) -> HttpResponse:
    """The endpoints, and the form that adds one."""
    _require_super_admin(request)
    if request.method == "GET":
        return _page(request)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = webhook_endpoint_create(
                actor=request.user,
                url=form.cleaned_data["url"],
                events=list(form.cleaned_data["events"]),
                active=bool(form.cleaned_data["active"]),
                now=timezone.now(),
            )
        except WebhookInputError as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            request.session[NEW_SECRET] = {"id": endpoint.pk, "secret": endpoint.secret}
            messages.success(
                request, _("Endpoint added. Copy its secret now: it is not shown again.")
            )
            return redirect("webhooks:settings")
    messages.error(request, _("Nothing was saved: check the marked fields."))
    return _page(request, form=form, status=400)


def _found(endpoint_id: int):
    endpoint = endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404(_("No such webhook endpoint."))
    return endpoint


@login_required
@require_http_methods(["GET"])
def endpoint_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """One endpoint's delivery log, newest first, each delivery with its attempts."""
    _require_super_admin(request)
    endpoint = _found(endpoint_id)
    paginator = Paginator(endpoint_deliveries(endpoint_id=endpoint.pk), DELIVERY_LOG_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "nav": "settings",
        "tab": "webhooks",
        "endpoint": endpoint,
        "page": page,
        "deliveries": list(page.object_list),
        "event_labels": dict(EventType.choices),
    }
    return render(request, "webhooks/endpoint.html", context)


def _back(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    if request.POST.get("next") == "endpoint":
        return redirect("webhooks:endpoint", endpoint_id=endpoint_id)
    return redirect("webhooks:settings")


@login_required
@require_POST
def endpoint_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """Queue a test event; its delivery shows in the log."""
    _require_super_admin(request)
    endpoint = _found(endpoint_id)
    webhook_test_send(endpoint_id=endpoint.pk, now=timezone.now())
    messages.success(
        request,
        _("A test event to %(url)s is on its way; reload to see its delivery.")
        % {"url": endpoint.url},
    )
    return _back(request, endpoint.pk)


@login_required
@require_POST
def endpoint_switch(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """Switch an endpoint on (forgetting its failures) or off."""
    _require_super_admin(request)
    endpoint = _found(endpoint_id)
    on = request.POST.get("active") == "true"
    webhook_endpoint_update(endpoint_id=endpoint.pk, now=timezone.now(), active=on)
    if on:
        messages.success(request, _("%(url)s is switched on.") % {"url": endpoint.url})
    else:
        messages.success(request, _("%(url)s is switched off.") % {"url": endpoint.url})
    return _back(request, endpoint.pk)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """Delete an endpoint and its delivery log."""
    _require_super_admin(request)
    endpoint = _found(endpoint_id)
    webhook_endpoint_delete(endpoint_id=endpoint.pk)
    messages.success(request, _("%(url)s was deleted.") % {"url": endpoint.url})
    return redirect("webhooks:settings")
