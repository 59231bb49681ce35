"""Select fields rendered once per language and list of choices, then given their value.

Django renders a select through a template per option (``django/forms/widgets/select_option.html``)
and crispy forms wraps it in more templates: the ticket page's six selects were about a quarter of
its CPU. An unbound select's HTML depends only on the language, its choices and which option is
selected, and a selected option differs from the others only by `` selected`` after its value
(``<option value="5" selected>``). ``select_html`` renders the field once per language and list
of choices with no option selected, keeps that, and marks the option of the value on each call:
the same bytes as rendering it (``tests/tickets/test_form_html.py`` compares them). A bound form
(shown again with the agent's values and errors) is rendered as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils import translation
from django.utils.html import escape

# The rendered fields without a value, by (language, form, field, choices, how rendered).
_UNSELECTED: dict[tuple, str] = {}
_UNSELECTED_MAX = 512
# An initial value no option has: the select is rendered with none selected.
_NO_VALUE = "\x00"


def _choices_key(choices: Any) -> tuple:
    key: list[tuple[str, Any]] = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):  # an option group
            key.append((str(value), tuple((str(v), str(text)) for v, text in label)))
        else:
            key.append((str(value), str(label)))
    return tuple(key)


def select_html(
    form: forms.BaseForm,
    name: str,
    *,
    render: Callable[[forms.BoundField], str],
    choices: list[tuple[Any, Any]] | None = None,
) -> str:
    """``render(form[name])`` for the select ``name`` of the unbound ``form`` (its value is the
    form's initial one), from the kept rendering of its choices. ``choices``: the field's
    choices (value, label) when the caller has them (a model choice field would read its own
    from the database again): the field is rendered with those."""
    field = form.fields[name]
    assert not form.is_bound and isinstance(field, forms.ChoiceField), name
    if choices is not None:
        listed = _choices_key(choices)
        field.choices = list(listed)
    else:
        listed = _choices_key(field.choices)
    key = (translation.get_language(), type(form).__name__, name, listed, render)
    found = _rendered_without_value(form, name, key, render)
    value = form[name].value()
    # As ChoiceWidget.format_value and optgroups: the first option whose value is str(value).
    text = escape("" if value is None else str(value))
    return found.replace(f'<option value="{text}">', f'<option value="{text}" selected>', 1)


def hidden_html(form: forms.BaseForm, name: str) -> str:
    """``str(form[name])`` for the hidden input ``name`` of the unbound ``form``, from its kept
    rendering (its value attribute put in, or left out for None and "" as Django does)."""
    field = form.fields[name]
    assert not form.is_bound and isinstance(field.widget, forms.HiddenInput), name
    key = (translation.get_language(), type(form).__name__, name, "hidden")
    found = _rendered_without_value(form, name, key, str)
    value = field.widget.format_value(form[name].value())
    shown = "" if value is None else f' value="{escape(value)}"'
    return found.replace(f' value="{_NO_VALUE}"', shown, 1)


def _rendered_without_value(
    form: forms.BaseForm, name: str, key: tuple, render: Callable[[forms.BoundField], Any]
) -> str:
    found = _UNSELECTED.get(key)
    if found is None:
        missing = name not in form.initial
        value = form.initial.get(name)
        form.initial[name] = _NO_VALUE
        try:
            # A bound field of its own: the form's keeps its initial value once read.
            found = str(render(forms.BoundField(form, form.fields[name], name)))
        finally:
            if missing:
                del form.initial[name]
            else:
                form.initial[name] = value
        if len(_UNSELECTED) >= _UNSELECTED_MAX:
            _UNSELECTED.clear()
        _UNSELECTED[key] = found
    return found
