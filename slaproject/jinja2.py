"""The Jinja2 environment of the pages' hot fragments (Django's ``Jinja2`` template backend).

Django's template language costs 10–20 µs per variable and more per ``{% include %}``: the
queue's 25 rows with three clock cells each were two thirds of the page's CPU. The fragments
rendered once per row are Jinja2 templates (``templates/jinja2/``), compiled to Python once;
the rest of the pages stay Django templates, which include a fragment's output as a string.

Output is escaped as Django escapes it (``html.escape``, ``conditional_escape``: ``&#x27;`` and
``&quot;``, so the HTML is the same byte for byte), by one call per ``{{ … }}`` written into the
compiled template (``DjangoEscapeCodeGenerator``) in place of markupsafe's ``escape``; ``_()`` is
Django's ``gettext`` (the strings are found by ``makemessages`` in the ``.html`` files, as
``{{ _("…") }}`` is also Django's syntax).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape
from jinja2 import Environment, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import Markup

from tickets import display


def escape_as_django(value: Any) -> str:
    """The text of ``{{ value }}``: Django's ``conditional_escape``, as plain text (the compiled
    template joins it into the output; nothing reads it as markup again)."""
    kind = type(value)
    if kind is str:  # the common case, without Django's lazy-string wrapper
        return html.escape(value)
    if kind is Markup:  # already escaped (a translation formatted by ``_``)
        return str(value)
    if kind is int:  # nothing to escape in a number
        return str(value)
    return str(conditional_escape(value))


class DjangoEscapeCodeGenerator(CodeGenerator):
    """Compiles each autoescaped ``{{ … }}`` to ``environment.escape_as_django(…)`` (one call),
    where Jinja2 writes markupsafe's ``escape`` around a ``finalize`` (two calls and two
    ``Markup`` objects: most of the queue rows' CPU); constants are escaped the same way when
    the template is compiled. The hooks are those Jinja2's own ``NativeCodeGenerator``
    overrides."""

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        if frame.eval_ctx.autoescape and not isinstance(node, nodes.TemplateData):
            return escape_as_django(node.as_const(frame.eval_ctx))
        return super()._output_child_to_const(node, frame, finalize)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("environment.escape_as_django(")
            if finalize.src is not None:
                self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write(")" if finalize.src is None else "))")
        else:
            super()._output_child_post(node, frame, finalize)


class DjangoEscapeEnvironment(Environment):
    code_generator_class = DjangoEscapeCodeGenerator
    escape_as_django = staticmethod(escape_as_django)


def gettext_once() -> Callable[..., Markup]:
    """``_`` for one rendering of a fragment that says the same few strings many times (the
    queue's 25 rows): as the i18n extension's (newstyle, autoescaped: the translation is markup,
    the values are escaped into it), each string translated once. Pass it as ``_`` in the
    context; the active language must not change during the rendering."""
    translated: dict[str, Markup] = {}

    def gettext(string: str, **variables: Any) -> Markup:
        text = translated.get(string)
        if text is None:
            text = translated[string] = Markup(translation.gettext(string))
        return text % variables

    return gettext


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


def environment(**options: Any) -> Environment:
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    options["undefined"] = Undefined  # as in production, also with DEBUG (templates avoid it)
    options["keep_trailing_newline"] = True  # as Django templates do
    env = DjangoEscapeEnvironment(**options)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    env.globals.update(url=url, local_moment=display.local_moment)
    env.filters.update(
        email_wrap=display.email_wrap,
        priority_class=display.priority_class,
    )
    return env
