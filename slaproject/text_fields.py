"""Form and model fields for one line of visible text: ``SingleLineField`` (forms) and
``SingleLineCharField`` (models, so the admin's forms use it) clean a value with the one rule,
``slaproject.single_line.single_line``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from slaproject.single_line import single_line


class SingleLineField(forms.CharField):
    """A form field whose value is cleaned to one line of visible text (``single_line``)."""

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return single_line(text) if text else text


class SingleLineCharField(models.CharField):
    """A ``CharField`` holding one line of visible text: cleaned by ``single_line`` in
    ``full_clean`` and in the model forms it makes (the admin's)."""

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        return single_line(text) if isinstance(text, str) else text

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": SingleLineField, **kwargs})

    def deconstruct(self) -> Any:
        # The column is a plain CharField's: migrations see one, and never rebuild a table.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs
