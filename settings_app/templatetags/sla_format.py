"""Template filters of the settings pages: the display functions of ``settings_app.display``."""

from __future__ import annotations

from django import template

from settings_app import display

register = template.Library()

for _name in (
    "minutes_label",
    "minutes_short",
    "hours_summary",
    "audit_rows",
    "apply_to_label",
    "percent_of",
):
    register.filter(_name, getattr(display, _name))
