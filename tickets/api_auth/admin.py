"""Django admin of the API tokens: mint one (its key shown once), list, revoke.

Moments are shown in the viewer's zone as the tickets' admin shows them (``tickets.display``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from slaproject.admin_guards import SuperAdminRowsMixin, is_super_admin, staff_user
from tickets.api_auth.models import ApiToken
from tickets.display import local_moment


class ApiTokenAddForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name")
        help_texts = {"name": _("What the token is for, e.g. the mail gateway.")}


@admin.register(ApiToken)
class ApiTokenAdmin(SuperAdminRowsMixin, admin.ModelAdmin):
    """Tokens for the ticket API. The key is shown once, on the page that follows adding the
    token, and only its hash is stored; revoke a token by unticking "active" (or deleting it).

    Only a super admin sees, mints or revokes a super admin's tokens: other staff with the
    token permissions mint tokens for themselves and for agents who are not super admins.
    """

    list_display = (
        "user",
        "name",
        "key_prefix_shown",
        "is_active",
        "created_at_local",
        "last_used_at_local",
    )
    list_filter = ("is_active",)
    search_fields = ("user__username", "name", "key_prefix")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "key_prefix_shown",
        "created_by",
        "created_at_local",
        "last_used_at_local",
    )
    fields = (
        "user",
        "name",
        "key_prefix_shown",
        "is_active",
        "created_by",
        "created_at_local",
        "last_used_at_local",
    )

    @admin.display(description=_("Created"), ordering="created_at")
    def created_at_local(self, token: ApiToken) -> str:
        return local_moment(token.created_at) or "—"

    @admin.display(description=_("Last used"), ordering="last_used_at")
    def last_used_at_local(self, token: ApiToken) -> str:
        return local_moment(token.last_used_at) or "—"

    @admin.display(description=_("Key"), ordering="key_prefix")
    def key_prefix_shown(self, token: ApiToken) -> str:
        return f"{token.key_prefix}…" if token.key_prefix else "—"

    def user_choices(self, request: HttpRequest) -> QuerySet:
        # The API refuses tokens of anyone but active agents, so only they are offered.
        agents = Q(is_active=True) & (Q(is_staff=True) | Q(is_superuser=True))
        return super().user_choices(request).filter(agents)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user", "name") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else self.readonly_fields

    def save_model(
        self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            # The form offers no super admin to other staff; this holds for forged posts too.
            if obj.user.is_superuser and not is_super_admin(request.user):
                raise PermissionDenied
            obj.set_key(ApiToken.generate_key())
            obj.created_by = staff_user(request)
        super().save_model(request, obj, form, change)

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: Any = None):
        """The key, once, on a page of its own (not in a message, which would keep it in the
        session or a cookie until shown)."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("API token created"),
            "opts": self.opts,
            "token": obj,
            "key": obj.key,
        }
        return TemplateResponse(request, "admin/apiauth/apitoken/created.html", context)
