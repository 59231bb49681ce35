"""The email settings page for super admins (``/settings/email/``) and its test email button.

Views parse input with ``tickets.outbound.forms`` and write through ``tickets.outbound.services``;
a POST redirects on success and answers bad input with messages next to the fields.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from slaproject.api import is_super_admin
from tickets.outbound.forms import EmailSettingsForm, TestEmailForm
from tickets.outbound.selectors import email_identity, email_settings_get, recent_test_emails
from tickets.outbound.services import email_settings_save, outbound_test_queue


def _require_super_admin(request: HttpRequest) -> None:
    if not is_super_admin(request.user):
        raise PermissionDenied


def _page(
    request: HttpRequest,
    *,
    form: EmailSettingsForm | None = None,
    test_form: TestEmailForm | None = None,
    status: int = 200,
) -> HttpResponse:
    found = email_settings_get()
    user = request.user  # a super admin (_require_super_admin)
    context = {
        "nav": "settings",
        "tab": "email",
        "form": form or EmailSettingsForm(instance=found),
        "test_form": test_form
        or TestEmailForm(initial={"to": user.email if user.is_authenticated else ""}),
        "identity": email_identity(found),
        "saved": found,
        "test_emails": recent_test_emails(),
    }
    return render(request, "outbound/email_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def email_settings_page(request: HttpRequest) -> HttpResponse:
    """The help desk's sender name and address, where answers go, the acknowledgement switch."""
    _require_super_admin(request)
    if request.method == "GET":
        return _page(request)
    form = EmailSettingsForm(request.POST, instance=email_settings_get())
    if not form.is_valid():
        messages.error(request, _("Nothing was saved: check the marked fields."))
        return _page(request, form=form, status=400)
    email_settings_save(actor=request.user, now=timezone.now(), **form.cleaned_data)
    messages.success(request, _("Email settings saved."))
    return redirect("outbound:settings")


@login_required
@require_POST
def email_test(request: HttpRequest) -> HttpResponse:
    """Queue a test email; its delivery state shows on the page."""
    _require_super_admin(request)
    form = TestEmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("No test email was sent: check the address."))
        return _page(request, test_form=form, status=400)
    outbound_test_queue(to=form.cleaned_data["to"], requested_by=request.user, now=timezone.now())
    messages.success(
        request,
        _("A test email to %(to)s is on its way; reload to see its delivery.")
        % {"to": form.cleaned_data["to"]},
    )
    return redirect("outbound:settings")
