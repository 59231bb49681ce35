"""The translation catalogues (locale/<lang>/LC_MESSAGES/django.po and djangojs.po): which
files their strings come from, and the one command that brings them up to date.

``./dev messages`` (``python -m slaproject.catalogue``) extracts every marked string of the
project (Python, templates, emails, static/js) into the catalogues of every language but English,
keeping the translations already made, then compiles the ``.mo`` files, which are committed
(a fresh machine runs without gettext). Needs GNU gettext (``apt-get install -y gettext``).
tests/slaproject/test_translations.py runs the same extraction into a temporary folder and fails
when a catalogue lacks a string, has one untranslated or fuzzy, or is not compiled.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Not the product's strings: tests, benchmarks, the virtualenv, runtime files, vendored code.
IGNORE = [
    "tests/*",
    "bench/*",
    "var/*",
    "static/vendor/*",
    "node_modules/*",
    "docs/*",
]
# Template files: HTML pages and the plain-text emails.
EXTENSIONS = ["html", "txt", "py"]
DOMAINS = {"django": EXTENSIONS, "djangojs": ["js"]}


def languages() -> list[str]:
    """The languages that have a catalogue: all of settings.LANGUAGES but the source one."""
    from django.conf import settings

    return [code for code, _name in settings.LANGUAGES if code != "en"]


# Jinja2 templates (templates/jinja2/): Django's makemessages reads them as Django templates,
# which finds `{{ _('Text') }}` but not a call with arguments (`_('Due %(moment)s', moment=…)`)
# nor one inside `{% set %}`. Their strings are read with Jinja2's own extractor and written,
# for the time of the extraction, as gettext calls into a Python file makemessages reads.
JINJA2_DIR = Path("templates") / "jinja2"
JINJA2_MESSAGES = JINJA2_DIR / "_messages_of_templates.py"
# Jinja2's i18n functions and the Python call xgettext knows them by (makemessages' keywords).
_JINJA2_CALLS = {
    "_": "gettext",
    "gettext": "gettext",
    "ngettext": "ngettext",
    "pgettext": "pgettext",
    "npgettext": "npgettext",
}


def jinja2_messages(base_dir: Path) -> str:
    """The Jinja2 templates' translatable strings as Python source: one gettext call a string,
    each with the template and line it comes from."""
    from jinja2.ext import extract_from_ast

    from slaproject.jinja2 import environment

    env = environment(loader=None)
    lines = [
        "# Written by slaproject.catalogue while it extracts the catalogues; not kept. The",
        "# strings of the Jinja2 templates, for makemessages (xgettext reads Python).",
    ]
    for path in sorted((base_dir / JINJA2_DIR).rglob("*.html")):
        where = path.relative_to(base_dir).as_posix()
        for lineno, function, message in extract_from_ast(env.parse(path.read_text("utf-8"))):
            texts = message if isinstance(message, tuple) else (message,)
            arguments = [repr(text) for text in texts if isinstance(text, str)]
            lines.append(f"{_JINJA2_CALLS[function]}({', '.join(arguments)})  # {where}:{lineno}")
    return "\n".join(lines) + "\n"


@contextmanager
def _with_jinja2_messages(base_dir: Path) -> Iterator[None]:
    target = base_dir / JINJA2_MESSAGES
    target.write_text(jinja2_messages(base_dir), encoding="utf-8")
    try:
        yield
    finally:
        target.unlink(missing_ok=True)


def extract(*, base_dir: Path, locale_dir: Path, languages: Iterable[str]) -> None:
    """Run makemessages over ``base_dir`` for both domains, writing into ``locale_dir``
    (merged with the catalogues there). ``locale_dir`` outside ``base_dir/locale``: the sources
    are copied beside it first, since makemessages writes into every locale folder under the
    folder it reads."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    if locale_dir.resolve() != (base_dir / "locale").resolve():
        sources = locale_dir.parent / "sources"
        shutil.copytree(
            base_dir,
            sources,
            ignore=shutil.ignore_patterns(
                ".*",
                "locale",
                "var",
                "tests",
                "bench",
                "docs",
                "vendor",
                "node_modules",
                "__pycache__",
            ),
        )
        (sources / "locale").symlink_to(locale_dir.resolve(), target_is_directory=True)
        locale_dir.mkdir(parents=True, exist_ok=True)
        base_dir = sources
    cwd = Path.cwd()
    os.chdir(base_dir)
    try:
        with (
            override_settings(LOCALE_PATHS=[str(base_dir / "locale")]),
            _with_jinja2_messages(base_dir),
        ):
            for domain, extensions in DOMAINS.items():
                call_command(
                    "makemessages",
                    locale=list(languages),
                    domain=domain,
                    extensions=extensions,
                    ignore_patterns=IGNORE,
                    add_location="file",
                    no_obsolete=True,
                    verbosity=0,
                )
    finally:
        os.chdir(cwd)


def main() -> None:
    import django
    from django.conf import settings
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaproject.settings")
    django.setup()
    base_dir = Path(settings.BASE_DIR)
    locale_dir = base_dir / "locale"
    extract(base_dir=base_dir, locale_dir=locale_dir, languages=languages())
    os.chdir(base_dir)
    call_command("compilemessages", locale=languages(), ignore_patterns=IGNORE, verbosity=0)
    print(f"Catalogues updated and compiled in {locale_dir}")


if __name__ == "__main__":
    main()
