"""The outbox in the Django admin: every email with its state and reason, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from outbound.models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipients", "subject", "state", "attempts", "ticket")
    list_filter = ("state", "kind")
    search_fields = ("subject", "message_id", "to", "ticket__id")
    list_select_related = ("ticket",)
    date_hierarchy = "created_at"
    raw_id_fields = ("ticket", "ticket_message", "recipient_user")
    readonly_fields = [field.name for field in OutboundEmail._meta.fields]

    @admin.display(description=_("to"))
    def recipients(self, email: OutboundEmail) -> str:
        return ", ".join([*email.to, *email.cc])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # emails are queued by the services that cause them

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
