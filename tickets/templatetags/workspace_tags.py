"""Template tags of the pages' frame (the navigation bar)."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db.models import Q

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
