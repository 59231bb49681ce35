"""Django admin for support staff: the mail the help desk took in and the mail it rejected.

Both lists are read-only history (mail is never typed in here). A rejected email shows its reason
and its bytes as text, downloads as an ``.eml`` file, and can be tried again once whatever stopped
it is fixed (the action runs the same ingestion service as the mail itself).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.inbound.models import InboundEmail, RejectedEmail
from tickets.inbound.services import REJECTED, TOO_LARGE, email_ingest, size_text

SHOWN_BYTES = 200 * 1024  # of the raw message, on the change page


def _raw_block(raw: bytes) -> str:
    shown = bytes(raw[:SHOWN_BYTES]).decode("utf-8", "replace")
    more = len(raw) - SHOWN_BYTES
    note = _("… %(size)s more: download the file.") % {"size": size_text(more)} if more > 0 else ""
    return format_html('<pre class="inbound-raw">{}</pre>{}', shown, note)


def _download(obj: Any, *, name: str) -> HttpResponse:
    response = HttpResponse(bytes(obj.raw), content_type="message/rfc822")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ReadOnlyMailAdmin(admin.ModelAdmin):
    download_prefix = "email"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and (match.url_name or "").endswith("_changelist"):
            queryset = queryset.defer("raw")
        return queryset

    def get_urls(self) -> list:
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<int:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name=f"{info[0]}_{info[1]}_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.model, pk=object_id)
        return _download(obj, name=f"{self.download_prefix}-{obj.pk}.eml")

    @admin.display(description=_("the email as it arrived"))
    def raw_text(self, obj: Any) -> str:
        info = self.model._meta.app_label, self.model._meta.model_name
        link = format_html(
            '<p><a href="{}">{}</a></p>',
            reverse(f"admin:{info[0]}_{info[1]}_download", args=[obj.pk]),
            _("Download as .eml"),
        )
        return format_html("{}{}", link, _raw_block(obj.raw))


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyMailAdmin):
    download_prefix = "inbound"
    list_display = ("received_at", "from_email", "subject", "outcome", "ticket_link", "via")
    list_filter = ("outcome", "via")
    search_fields = ("identity", "from_email", "subject")
    date_hierarchy = "received_at"
    fields = (
        "received_at",
        "via",
        "identity",
        "from_name",
        "from_email",
        "subject",
        "outcome",
        "detail",
        "ticket_link",
        "size",
        "raw_text",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("ticket")

    @admin.display(description=_("ticket"))
    def ticket_link(self, obj: InboundEmail) -> str:
        if obj.ticket_id is None:
            return "—"
        return format_html(
            '<a href="{}">#{}</a>', reverse("tickets:detail", args=[obj.ticket_id]), obj.ticket_id
        )


@admin.register(RejectedEmail)
class RejectedEmailAdmin(ReadOnlyMailAdmin):
    download_prefix = "rejected"
    list_display = ("received_at", "from_header", "subject_header", "kind", "reason", "size_shown")
    list_filter = ("kind", "via")
    search_fields = ("from_header", "subject_header", "reason")
    date_hierarchy = "received_at"
    actions = ("try_again",)
    fields = (
        "received_at",
        "via",
        "kind",
        "reason",
        "from_header",
        "subject_header",
        "size_shown",
        "is_truncated",
        "raw_text",
    )
    readonly_fields = fields

    @admin.display(description=_("size"), ordering="size")
    def size_shown(self, obj: RejectedEmail) -> str:
        return size_text(obj.size)

    @admin.action(description=_("Try again to take in the selected emails"), permissions=["view"])
    def try_again(self, request: HttpRequest, queryset: QuerySet[RejectedEmail]) -> None:
        """Ingest each kept message again, as it first arrived; those taken in now leave the
        list. A message kept only in part (over the size limit) cannot be tried again."""
        taken = 0
        for rejected in queryset:
            if rejected.is_truncated:
                self.message_user(
                    request,
                    _("%(email)s was kept only in part; ask the sender to send it again.")
                    % {"email": rejected},
                    messages.WARNING,
                )
                continue
            result = email_ingest(raw=bytes(rejected.raw), via=rejected.via, now=timezone.now())
            if result.outcome in (REJECTED, TOO_LARGE):
                self.message_user(
                    request,
                    _("%(email)s still cannot be taken in: %(why)s")
                    % {"email": rejected, "why": result.detail},
                    messages.WARNING,
                )
                continue
            rejected.delete()
            taken += 1
        if taken:
            self.message_user(
                request,
                ngettext("%(count)d email taken in.", "%(count)d emails taken in.", taken)
                % {"count": taken},
                messages.SUCCESS,
            )
