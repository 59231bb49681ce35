"""Template filters of the agents' pages: the display functions of ``tickets.display``."""

from __future__ import annotations

import datetime

from django import template

from tickets import display

register = template.Library()

register.filter("local_moment_short", display.local_moment_short)
register.filter("email_wrap", display.email_wrap)
register.filter("priority_class", display.priority_class)
register.filter("event_icon", display.event_icon)
register.filter("event_tone", display.event_tone)
register.filter("event_label", display.event_label)


@register.filter(name="local_moment")
def local_moment(value: datetime.datetime | None) -> str:
    return display.local_moment(value)
