"""Template tags of the pages' frame (the navigation bar)."""

from __future__ import annotations

from typing import Any

from django import template

from slaproject.admin_guards import admin_access

register = template.Library()


@register.simple_tag(takes_context=True)
def has_admin_access(context: Any) -> bool:
    """``admin_access`` of the page's request (the navigation bar)."""
    return admin_access(context.get("request"))
