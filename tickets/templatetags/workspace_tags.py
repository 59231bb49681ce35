"""Template tags of the pages' frame (the navigation bar)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection

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
    # One small query for the common case, an agent with no permission at all (written once:
    # the ORM's compiling of the joins cost more CPU than the query on every page).
    with connection.cursor() as cursor:
        cursor.execute(_any_permission_sql(), [user.pk, user.pk])
        granted = cursor.fetchone() is not None
    return granted and bool(admin.site.get_app_list(request))


@cache
def _any_permission_sql() -> str:
    """Whether a user holds any permission, their own or through a group (a row, or none)."""
    user_model: Any = get_user_model()
    own: Any = user_model.user_permissions.through._meta
    member: Any = user_model.groups.through._meta
    group_perms: Any = user_model.groups.field.related_model.permissions.through._meta

    def column(meta: Any, name: str) -> str:
        return str(connection.ops.quote_name(meta.get_field(name).column))

    quote = connection.ops.quote_name
    return (
        f"SELECT 1 FROM {quote(own.db_table)} WHERE {column(own, 'user')} = %s"
        f" UNION ALL SELECT 1 FROM {quote(member.db_table)} m"
        f" JOIN {quote(group_perms.db_table)} g ON g.{column(group_perms, 'group')}"
        f" = m.{column(member, 'group')}"
        f" WHERE m.{column(member, 'user')} = %s LIMIT 1"
    )
