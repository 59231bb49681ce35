"""The outbox in the Django admin: every email with its state and reason, read-only; failed
emails can be sent again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.outbound.models import OutboundEmail
from tickets.outbound.services import outbound_emails_send_again


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipients", "subject", "state", "attempts", "ticket")
    list_filter = ("state", "kind")
    search_fields = ("subject", "message_id", "to", "ticket__id")
    list_select_related = ("ticket",)
    date_hierarchy = "created_at"
    raw_id_fields = ("ticket", "ticket_message", "recipient_user")
    readonly_fields = [field.name for field in OutboundEmail._meta.fields]
    actions = ["send_again"]

    @admin.action(description=_("Send the selected failed emails again"), permissions=["resend"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = outbound_emails_send_again(
            email_ids=queryset.values_list("pk", flat=True), now=timezone.now()
        )
        self.message_user(
            request,
            ngettext("%(n)d email queued again.", "%(n)d emails queued again.", count)
            % {"n": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        """Sending again changes the email's state: staff who may change outgoing emails."""
        return request.user.has_perm("outbound.change_outboundemail")

    @admin.display(description=_("to"))
    def recipients(self, email: OutboundEmail) -> str:
        return ", ".join([*email.to, *email.cc])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # emails are queued by the services that cause them

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
