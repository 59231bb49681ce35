"""The admin of sign-in attempts (django-axes' models), for support staff: who failed to sign in
from where, who is locked, and the action that unlocks them.

A super admin's attempts and sign-ins are a super admin's business (``SuperAdminRowsMixin``):
other staff cannot see them, nor unlock a super admin's name for an attacker who is guessing its
password. Registered from ``settings_app.admin`` (after axes registers its own).
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

from slaproject.admin_guards import SuperAdminRowsMixin, super_admin_usernames

# django-axes marks its names for translation but ships no Swedish: these are its words that
# the admin shows (models, fields, filters, fieldsets, action, status), put in our catalogue
# so that the sign-in pages read in Swedish too (its lazy strings find them there).
AXES_WORDS = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("Access Attempt"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
)


class _ByUsername(SuperAdminRowsMixin):
    def super_admin_rows(self) -> Q:
        return Q(username__in=super_admin_usernames())


class SignInAttemptAdmin(_ByUsername, AccessAttemptAdmin):
    """Failed sign-ins, one row per (username, address, browser). Unlocking deletes the rows:
    the pair starts again from no failures."""

    actions = ["unlock", "cleanup_expired_attempts"]

    @admin.action(description=_("Unlock: forget the failed sign-ins of the selected rows"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        count, _deleted = queryset.delete()
        self.message_user(
            request,
            ngettext(
                "Unlocked: %(count)d row of failed sign-ins forgotten.",
                "Unlocked: %(count)d rows of failed sign-ins forgotten.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class SignInLogAdmin(_ByUsername, AccessLogAdmin):
    """Successful sign-ins (and their sign-outs), by address."""


def register(site: admin.AdminSite) -> None:
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        if site.is_registered(model):
            site.unregister(model)
    site.register(AccessAttempt, SignInAttemptAdmin)
    site.register(AccessLog, SignInLogAdmin)
    # AccessFailureLog stays unregistered: failures are not logged one by one (the attempts
    # above count them).
