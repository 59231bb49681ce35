"""The Jinja2 fragments escape as Django's templates do (``slaproject.jinja2``): the same text,
byte for byte, for every kind of value a page writes, whether the value comes at run time or is a
constant escaped when the template is compiled."""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from markupsafe import Markup

from slaproject.jinja2 import gettext_once

VALUES = [
    "plain",
    '<b>Tom & "Jerry\'s"</b>',
    "",
    7,
    -3,
    2.5,
    True,
    None,
    mark_safe("<i>safe</i> & 'kept'"),
    Markup("<em>markup</em>"),
    gettext_lazy("Queue"),
    ["<a>", "it's"],
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_is_written_as_django_writes_it(value) -> None:
    jinja = engines["jinja2"].from_string("[{{ value }}]").render({"value": value})
    django = engines["django"].from_string("[{{ value }}]").render({"value": value})
    assert jinja == django


def test_constants_are_escaped_as_django_escapes_them() -> None:
    jinja = engines["jinja2"].from_string("""{{ "a < b & 'c' \\"d\\"" }}|{{ 1 + 2 }}""")
    django = engines["django"].from_string("""{{ "a < b & 'c' \\"d\\""|force_escape }}|3""")
    assert jinja.render({}) == django.render({})


def test_template_text_and_translations_are_not_escaped_again() -> None:
    template = engines["jinja2"].from_string(
        "<p title=\"{{ _('Queue') }}\">{{ _('Due %(moment)s', moment=when) }}</p>"
    )
    html = template.render({"_": gettext_once(), "when": "3 Mar & <4>"})
    assert html == '<p title="Queue">Due 3 Mar &amp; &lt;4&gt;</p>'


def test_an_autoescape_block_turned_off_writes_the_text_as_it_is() -> None:
    template = engines["jinja2"].from_string(
        "{% autoescape false %}{{ value }}{% endautoescape %}|{{ value }}"
    )
    assert template.render({"value": "<b>'x'</b>"}) == "<b>'x'</b>|&lt;b&gt;&#x27;x&#x27;&lt;/b&gt;"
