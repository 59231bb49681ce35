"""Management commands speak the operator's language (LC_ALL, LC_MESSAGES, LANG), English
otherwise (issue 22)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from slaproject.commands import command_language


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv_FI@euro"}, "sv"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),  # not one of LANGUAGES
        ({"LANG": "sv_SE.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "sv_SE.UTF-8"}, "sv"),
        ({"LC_ALL": "", "LANG": "sv"}, "sv"),  # an empty variable is not set
    ],
)
def test_the_command_language_is_the_first_locale_variable_set(environ, language) -> None:
    assert command_language(environ) == language


@pytest.mark.django_db
def test_a_command_error_is_in_the_operators_language(monkeypatch) -> None:
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    with pytest.raises(CommandError, match="Ingen användare ”nobody”."):
        call_command("create_api_token", "nobody", stdout=StringIO(), stderr=StringIO())
    monkeypatch.setenv("LANG", "C.UTF-8")
    with pytest.raises(CommandError, match="No user “nobody”."):
        call_command("create_api_token", "nobody", stdout=StringIO(), stderr=StringIO())
