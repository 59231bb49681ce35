"""The Jinja2 environment of the pages' hot fragments and of the queue page (Django's ``Jinja2``
template backend).

Django's template language costs 10–20 µs per variable and more per ``{% include %}``: the
queue's 25 rows with three clock cells each were two thirds of the page's CPU, and its frame
(navigation, footer) was more than the rows once they were Jinja2. The fragments rendered once per
row and the queue page are Jinja2 templates (``templates/jinja2/``), compiled to Python once;
``templates/jinja2/base.html`` is the twin of the Django pages' ``templates/base.html`` (the same
HTML; tests/slaproject/test_jinja2_base.py compares them). The other pages stay Django templates,
which include a fragment's output as a string. A page rendered with its request gets the Django
pages' context (``user``, ``messages``, ``LANGUAGE_CODE``…, settings.TEMPLATES) and the globals
``url``, ``static``, ``querystring`` and ``has_admin_access`` as the Django tags of those names.

Output is escaped as Django escapes it (``html.escape``, ``conditional_escape``: ``&#x27;`` and
``&quot;``, so the HTML is the same byte for byte), by one call per ``{{ … }}`` written into the
compiled template (``DjangoEscapeCodeGenerator``) in place of markupsafe's ``escape``; ``_()`` is
Django's ``gettext``, escaped as ``{% translate %}`` escapes (``gettext_as_django``; the strings are
found by ``makemessages`` in the ``.html`` files, as ``{{ _("…") }}`` is also Django's syntax, so
a string with variables is formatted in Python, where ``makemessages`` finds it).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.template import defaulttags
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape
from django_htmx.jinja import htmx_script
from jinja2 import Environment, Undefined, nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import Markup

from slaproject.admin_guards import admin_access
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


def gettext_as_django(message: str, **variables: Any) -> Markup:
    """``_`` of the pages: ``{{ _("…") }}`` writes the translation escaped, as Django's
    ``{% translate %}``; with variables, as ``{% blocktranslate %}``: the translation as it is,
    each value escaped into it."""
    text = translation.gettext(message)
    if not variables:
        return Markup(html.escape(text))
    return Markup(text % {name: escape_as_django(value) for name, value in variables.items()})


@pass_context
def querystring(context: Any, **changes: Any) -> str:
    """Django's ``{% querystring name=value … %}``: the request's query with these changes."""
    request_context: Any = SimpleNamespace(request=context["request"])  # what the tag reads
    return defaulttags.querystring(request_context, **changes)


def environment(**options: Any) -> Environment:
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    options["undefined"] = Undefined  # as in production, also with DEBUG (templates avoid it)
    options["keep_trailing_newline"] = True  # as Django templates do
    env = DjangoEscapeEnvironment(**options)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    env.globals.update(
        url=url,
        static=static,
        querystring=querystring,
        has_admin_access=admin_access,
        htmx_script=htmx_script,
        local_moment=display.local_moment,
    )
    env.globals["_"] = gettext_as_django
    env.filters.update(
        email_wrap=display.email_wrap,
        priority_class=display.priority_class,
    )
    return env
