"""The translation catalogues stay complete, and no text a person reads escapes them (issue 22).

* Every string marked for translation in the product (Python, templates, emails, static/js) is
  in each catalogue, translated, not fuzzy, with the same placeholders as its English, passes
  ``msgfmt --check``, and the committed ``.mo`` says what the ``.po`` says.
* No template, form or Python message shows text outside the translation machinery
  (``slaproject.untranslated`` finds it); the files not converted yet are listed in
  ``untranslated_baseline.txt`` beside this test, which may only shrink.

To bring the catalogues up to date after adding strings: ``./dev messages``, translate the new
entries in locale/sv/LC_MESSAGES/*.po (docs/TRANSLATING.md), and ``./dev messages`` again.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings

from slaproject import catalogue, untranslated

BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale"
BASELINE = Path(__file__).with_name("untranslated_baseline.txt")

needs_gettext = pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="GNU gettext is missing: apt-get install -y gettext"
)


def _catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\([a-z_0-9]+\)[sdif]|%[sdif]|\{[a-z_0-9]*\}", text))


def test_every_language_but_english_has_both_catalogues() -> None:
    for language in catalogue.languages():
        for domain in catalogue.DOMAINS:
            assert (LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po").is_file()
            assert (LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.mo").is_file()


@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_catalogue_entries_are_translated_and_keep_their_placeholders(path: Path) -> None:
    po = polib.pofile(str(path))
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        label = f"{entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {label}")
        if entry.msgid_plural:
            forms = list(entry.msgstr_plural.values())
            if len(forms) < 2 or not all(forms):
                problems.append(f"untranslated: {label}")
            elif _placeholders(entry.msgid_plural) != _placeholders(forms[-1]):
                problems.append(f"placeholders differ: {label} -> {forms[-1]!r}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {label}")
        elif _placeholders(entry.msgid) != _placeholders(entry.msgstr):
            problems.append(f"placeholders differ: {label} -> {entry.msgstr!r}")
    assert not problems, "\n".join(problems)


@needs_gettext
@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_catalogue_passes_msgfmt_check_and_its_mo_is_current(path: Path, tmp_path: Path) -> None:
    compiled = tmp_path / "check.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    with compiled.open("rb") as fresh, path.with_suffix(".mo").open("rb") as committed:
        fresh_catalog = gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
        committed_catalog = gettext.GNUTranslations(committed)._catalog  # type: ignore[attr-defined]
    stale = {k for k in fresh_catalog.keys() ^ committed_catalog.keys()} | {
        k
        for k in fresh_catalog.keys() & committed_catalog.keys()
        if fresh_catalog[k] != committed_catalog[k]
    }
    assert not stale, f"{path.with_suffix('.mo')} is not compiled from the .po: ./dev messages"


@needs_gettext
def test_every_marked_string_is_in_the_catalogues(tmp_path: Path) -> None:
    """The product's marked strings, extracted afresh, against the committed catalogues."""
    fresh_dir = tmp_path / "locale"
    catalogue.extract(base_dir=BASE_DIR, locale_dir=fresh_dir, languages=catalogue.languages())
    missing = []
    for fresh_path in sorted(fresh_dir.glob("*/LC_MESSAGES/*.po")):
        committed_path = LOCALE_DIR / fresh_path.relative_to(fresh_dir)
        committed = (
            {(e.msgctxt, e.msgid) for e in polib.pofile(str(committed_path)) if not e.obsolete}
            if committed_path.is_file()
            else set()
        )
        for entry in polib.pofile(str(fresh_path)):
            if (entry.msgctxt, entry.msgid) not in committed:
                where = entry.occurrences[0][0] if entry.occurrences else "?"
                missing.append(f"{committed_path.relative_to(BASE_DIR)}: {entry.msgid!r} ({where})")
    assert not missing, "Not in the catalogues (./dev messages, then translate):\n" + "\n".join(
        missing
    )


def _baseline() -> set[tuple[str, str]]:
    rows = set()
    for line in BASELINE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            path, _tab, text = line.partition("\t")
            rows.add((path, text))
    return rows


def test_no_new_text_outside_the_translation_machinery() -> None:
    """Templates, forms and Python messages: every user-visible string is marked. The baseline
    lists what was there before the conversion and not converted yet; nothing may join it."""
    allowed = _baseline()
    new = [f for f in untranslated.all_findings() if (f.path, f.text) not in allowed]
    assert not new, (
        "Text a person reads that cannot be translated (wrap it in {% translate %} / gettext):\n"
        + "\n".join(map(str, new))
    )


def test_the_finder_sees_plain_text_in_a_template_and_a_form(tmp_path: Path) -> None:
    template = tmp_path / "page.html"
    template.write_text(
        '{% load i18n %}<h1>{% translate "Queue" %}</h1>\n'
        "<p title=\"{% translate 'Fine' %}\">{{ ticket.subject }} · 24/7</p>\n"
        "<button>Close ticket</button>\n"
        '<a aria-label="Next page" href="#">→</a>\n'
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}\n",
        encoding="utf-8",
    )
    module = tmp_path / "forms.py"
    module.write_text(
        "from django import forms\nfrom django.contrib import messages\n"
        "from django.utils.translation import gettext_lazy as _\n"
        "class F(forms.Form):\n"
        "    a = forms.CharField(label=_('Fine'))\n"
        "    b = forms.CharField(label='Your email')\n"
        "    def clean_a(self):\n"
        "        raise forms.ValidationError(f'Bad {self}')\n"
        "def view(request):\n"
        "    messages.success(request, 'Saved.')\n",
        encoding="utf-8",
    )
    original = untranslated.BASE_DIR
    untranslated.BASE_DIR = tmp_path
    try:
        texts = [f.text for f in untranslated.template_findings(template)]
        texts += [f.text for f in untranslated.python_findings(module)]
    finally:
        untranslated.BASE_DIR = original
    assert sorted(texts) == sorted(
        ['aria-label="Next page"', "Close ticket", "Your email", "Bad ", "Saved."]
    )


@needs_gettext
def test_a_jinja2_string_with_arguments_or_in_a_set_reaches_the_catalogue(tmp_path: Path) -> None:
    """Django's makemessages reads a Jinja2 template as a Django one and misses
    ``_('…', name=…)`` and ``{% set %}``; the extraction reads them with Jinja2's own."""
    base = tmp_path / "project"
    (base / catalogue.JINJA2_DIR).mkdir(parents=True)
    (base / catalogue.JINJA2_DIR / "page.html").write_text(
        "{% set title = _('Due %(moment)s', moment=due) %}<p title=\"{{ title }}\">"
        "{{ _('Plain words') }} {{ ngettext('%(num)d ticket', '%(num)d tickets', n) }}</p>\n",
        encoding="utf-8",
    )
    catalogue.extract(base_dir=base, locale_dir=tmp_path / "locale", languages=["sv"])
    entries = {e.msgid: e for e in polib.pofile(str(tmp_path / "locale/sv/LC_MESSAGES/django.po"))}
    assert {"Due %(moment)s", "Plain words", "%(num)d ticket"} <= set(entries)
    assert entries["%(num)d ticket"].msgid_plural == "%(num)d tickets"
    assert not (base / catalogue.JINJA2_MESSAGES).exists()  # written for the extraction only
