"""Template tags of the pages' frame (the navigation bar)."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.models import TicketChange

register = template.Library()


@register.simple_tag(takes_context=True)
def has_admin_access(context: Any) -> bool:
    """Whether the Django admin would show the signed-in user anything: staff with at least one
    model permission (or a super admin). Agents are staff without admin permissions, and the
    admin would only tell them they may not see it."""
    request = context.get("request")
    if request is None or not admin.site.has_permission(request):
        return False
    user = request.user
    if user.is_superuser:
        return True
    # One small query for the common case, an agent with no permission at all.
    granted = Permission.objects.filter(Q(user=user) | Q(group__user=user))
    return granted.exists() and bool(admin.site.get_app_list(request))


# --- The ticket history --------------------------------------------------------------------

FIELD_LABELS = {
    TicketChange.Field.OWNER: gettext_lazy("Owner"),
    TicketChange.Field.PRIORITY: gettext_lazy("Priority"),
    TicketChange.Field.TEAM: gettext_lazy("Team"),
    TicketChange.Field.SOURCE: gettext_lazy("Source"),
    TicketChange.Field.PIPELINE: gettext_lazy("Pipeline"),
    TicketChange.Field.STAGE: gettext_lazy("Stage"),
}
VIA_SUFFIXES = {
    TicketChange.Via.API: gettext_lazy("through the API"),
    TicketChange.Via.ADMIN: gettext_lazy("in the admin"),
    TicketChange.Via.EMAIL: gettext_lazy("by email"),
}


def change_actor(change: TicketChange) -> str:
    """Who made a change, as people read it: "lee", "lee through the API", "a customer
    message", "automatic"."""
    if change.via == TicketChange.Via.CUSTOMER:
        return _("a customer message")
    if change.actor_id is None:
        return (
            _("automatic")
            if change.via == TicketChange.Via.SYSTEM
            else str(change.get_via_display())
        )
    name = change.actor.get_username()
    suffix = VIA_SUFFIXES.get(change.via)
    return f"{name} {suffix}" if suffix else name


def change_text(change: TicketChange) -> str:
    """One field's change: "Priority High → Urgent", "closed the ticket (Stage New → Closed)"."""
    text = _("%(field)s %(old)s → %(new)s") % {
        "field": FIELD_LABELS.get(change.field, change.field),
        "old": change.old_label or "—",
        "new": change.new_label or "—",
    }
    if change.state == TicketChange.State.CLOSED:
        return _("closed the ticket (%(change)s)") % {"change": text}
    if change.state == TicketChange.State.REOPENED:
        return _("reopened the ticket (%(change)s)") % {"change": text}
    return text


def changes_text(changes: list[TicketChange]) -> str:
    """Several fields changed at once by one person: "Priority High → Urgent, Owner — → lee"."""
    return ", ".join(change_text(change) for change in changes)
