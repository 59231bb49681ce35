"""Guards of the Django admin against escalation (SPEC section 1: nobody gains another user's
powers through the admin).

Support staff may hold every model permission, yet rows that belong to a super admin (their API
tokens, their preferences, their sign-in records) are a super admin's business: other staff
neither list, open, change nor delete them, and cannot pick a super admin in a form's user field.
Editing super admins themselves is guarded in ``settings_app.admin.StaffSafeUserAdmin``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import ForeignKey, Q, QuerySet
from django.http import HttpRequest


def is_super_admin(user: Any) -> bool:
    return bool(user.is_active and user.is_superuser)


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member making an admin request (the admin lets no one else in)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


class SuperAdminRowsMixin:
    """For a ``ModelAdmin`` whose rows may belong to a super admin.

    ``super_admin_rows()`` is the condition of such rows; ``user_fields`` are the foreign keys to
    a user whose choices leave super admins out for staff who are not one.
    """

    user_fields: tuple[str, ...] = ("user",)

    def super_admin_rows(self) -> Q:
        return Q(user__is_superuser=True)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if is_super_admin(request.user):
            return queryset
        return queryset.exclude(self.super_admin_rows())

    def user_choices(self, request: HttpRequest) -> QuerySet:
        """Users a form's user field offers this requester."""
        users = get_user_model().objects.order_by(get_user_model().USERNAME_FIELD)
        return users if is_super_admin(request.user) else users.filter(is_superuser=False)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        if db_field.name in self.user_fields:
            kwargs["queryset"] = self.user_choices(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


def super_admin_usernames() -> QuerySet:
    """Usernames of super admins, as a subquery (for rows that name a user by username)."""
    User = get_user_model()
    return User.objects.filter(is_superuser=True).values(User.USERNAME_FIELD)


def admin_access(request: HttpRequest | None) -> bool:
    """Whether the Django admin would show the signed-in user anything: staff with at least one
    model permission (or a super admin). Agents are staff without admin permissions, and the
    admin would only tell them they may not see it."""
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
