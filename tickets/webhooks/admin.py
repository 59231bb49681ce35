"""Webhooks in the Django admin, for super admins only: endpoints (URL, events, switch; the
secret is never shown again) and the delivery log with each attempt's status code, duration and
answer. Endpoints are registered on the settings page or through the API, where the secret is
shown once."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from slaproject.admin_guards import is_super_admin
from tickets.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tickets.webhooks.services import webhook_endpoint_update, webhook_test_send


class SuperAdminOnly:
    """Webhooks are a super admin's business: other staff neither list nor open them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_super_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return is_super_admin(request.user)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SuperAdminOnly, admin.ModelAdmin):
    list_display = ("url", "event_list", "is_active", "failing_since", "disabled_at", "owner")
    list_filter = ("is_active",)
    search_fields = ("url",)
    list_select_related = ("owner",)
    fields = (
        "url",
        "events",
        "is_active",
        "owner",
        "created_at",
        "updated_at",
        "failing_since",
        "disabled_at",
        "disabled_reason",
    )
    readonly_fields = fields
    actions = ["send_test_event", "switch_on", "switch_off"]

    @admin.display(description=_("events"))
    def event_list(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events or [])

    @admin.action(description=_("Send a test event to the selected endpoints"))
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        now = timezone.now()
        for endpoint in queryset:
            webhook_test_send(endpoint_id=endpoint.pk, now=now)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "A test event is on its way to %(n)d endpoint; its delivery shows in the log.",
                "A test event is on its way to %(n)d endpoints; their deliveries show in the log.",
                count,
            )
            % {"n": count},
            messages.SUCCESS,
        )

    def _switch(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint], on: bool) -> None:
        now = timezone.now()
        for endpoint in queryset:
            webhook_endpoint_update(endpoint_id=endpoint.pk, now=now, active=on)
        self.message_user(request, _("Done."), messages.SUCCESS)

    @admin.action(description=_("Switch the selected endpoints on"))
    def switch_on(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        self._switch(request, queryset, True)

    @admin.action(description=_("Switch the selected endpoints off"))
    def switch_off(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        self._switch(request, queryset, False)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # on the settings page or the API, where the secret is shown once

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return is_super_admin(request.user)  # the actions; every field is read-only

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return is_super_admin(request.user)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "started_at", "duration_ms", "status_code", "response_excerpt", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SuperAdminOnly, admin.ModelAdmin):
    list_display = (
        "created_at",
        "event_type",
        "endpoint",
        "ticket_number",
        "state",
        "attempts",
        "last_status_code",
    )
    list_filter = ("state", "event_type")
    search_fields = ("event_id", "endpoint__url", "ticket__id")
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"
    readonly_fields = [
        field.name for field in WebhookDelivery._meta.fields if field.name != "ticket"
    ] + ["ticket_number"]
    exclude = ("ticket",)
    inlines = [WebhookAttemptInline]

    # The ticket's number (no link: the ticket may be gone), named in the viewer's language
    # (Django names a foreign key's column, "ticket_id", in English whatever the language).
    @admin.display(description=_("Ticket id"), ordering="ticket_id")
    def ticket_number(self, delivery: WebhookDelivery) -> int | None:
        return delivery.ticket_id

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # deliveries are written by the events that cause them

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return is_super_admin(request.user)  # with their endpoint, or to prune the log
