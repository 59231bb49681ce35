"""The ``date`` filter of the Django templates, in each language's way (``slaproject.dates``).

Registered as a builtin of the template engine (``TEMPLATES[0]["OPTIONS"]["builtins"]``), after
Django's own, so ``{{ value|date:"D j M Y" }}`` everywhere (pages, emails, the admin) writes
"lör 5 dec 2026" in Swedish. Everything else is Django's filter.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template import defaultfilters
from django.utils import formats

from slaproject.dates import localize_format

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value: Any, arg: str | None = None) -> str:
    """Django's ``date`` filter with the format localized: a named format ("DATE_FORMAT") is
    the locale's own, a written one ("D j M Y") gets the language's month case."""
    if value in (None, ""):
        return ""
    written = formats.get_format(arg or "DATE_FORMAT")
    return defaultfilters.date(value, localize_format(str(written)))
