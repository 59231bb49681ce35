"""Management commands in the operator's language (SPEC §9, issue 22).

Django runs a command in ``LANGUAGE_CODE`` (English). A person at a terminal set their language
in the environment: ``TranslatedCommand`` runs a command (its output, its errors) in the first
of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` that names one of ``LANGUAGES`` ("sv_SE.UTF-8" →
Swedish), else in ``LANGUAGE_CODE``. ``C``, ``POSIX`` and unknown languages read English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation


def command_language(environ: Mapping[str, str] | None = None) -> str:
    """The language of a command's output: from the locale variables, else ``LANGUAGE_CODE``."""
    environ = os.environ if environ is None else environ
    available = {code for code, _name in settings.LANGUAGES}
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if not value:
            continue
        code = value.split(".")[0].split("@")[0].split("_")[0].lower()
        # The first variable that is set decides (as for every program): "C" reads English.
        return code if code in available else settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


class TranslatedCommand(BaseCommand):
    """A command whose texts (output, ``CommandError``, help) follow ``command_language``.

    ``help`` is written ``gettext_noop("…")`` (a plain string the extractor finds) and translated
    when the parser is made; arguments' ``help=`` texts are ``gettext_lazy``."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        with translation.override(command_language()):
            english, self.help = self.help, translation.gettext(self.help) if self.help else ""
            try:
                return super().create_parser(prog_name, subcommand, **kwargs)
            finally:
                self.help = english

    def execute(self, *args: Any, **options: Any) -> Any:
        with translation.override(command_language()):
            return super().execute(*args, **options)
