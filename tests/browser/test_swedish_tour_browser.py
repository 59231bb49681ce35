"""Every page in Swedish, at a phone's width (390 px) and a laptop's (1280 px), in a real
Chromium (issue 22): nothing wider than the window, and no English sentence of the catalogue left
on the page. Full-page screenshots in test-artifacts/swedish/ for a person to look at.

"English left" is any entry of locale/sv/LC_MESSAGES/django.po whose Swedish differs from its
English, of two words or more and without placeholders, found in the page's visible text: a
string shown outside the translation machinery, or rendered in English (a stored label, a
translation made at import time).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from django.utils import timezone

from settings_app.demo import DEMO_PASSWORD, demo_seed
from tickets.demo import demo_tickets_seed
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (390, 1280)


def english_phrases() -> list[str]:
    """Catalogue entries a Swedish page must not show in English."""
    catalogue = polib.pofile(str(ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"))
    phrases = set()
    for entry in catalogue.translated_entries():
        english = entry.msgid
        if entry.msgid_plural or "%" in english or "{" in english or "<" in english:
            continue
        if len(english.split()) < 2 or entry.msgstr.strip() == english.strip():
            continue
        phrases.add(english)
    return sorted(phrases, key=len, reverse=True)


def english_left(text: str, phrases: list[str]) -> list[str]:
    flat = " ".join(text.split())
    return [phrase for phrase in phrases if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", flat)]


@pytest.fixture
def sv_context(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="sv-SE"
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


# Data that reads like a catalogue entry: the help desk's name as stored (its default is "Help
# desk", the name it signs emails with until a super admin types another).
DATA = {"/settings/email/": {"Help desk"}}


def look(page: Any, url: str, name: str, phrases: list[str], out: Path) -> list[str]:
    """Open ``url`` at each width; what is wrong with it, as sentences."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "sv", url
        page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            wide = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                  .filter(e => e.getBoundingClientRect().right
                                > document.documentElement.clientWidth + 1)
                  .filter(e => !e.closest('.table-responsive, .overflow-auto, .modal:not(.show),'
                                          + ' .offcanvas:not(.show), [hidden], .d-none'))
                  .slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className)"""
            )
            problems.append(f"{url} at {width} px is {overflow} px too wide: {wide}")
        left = english_left(page.evaluate("document.body.innerText"), phrases)
        left = [phrase for phrase in left if phrase not in DATA.get(url, set())]
        if left:
            problems.append(f"{url} at {width} px shows English: {left}")
    return problems


def test_every_page_in_swedish_at_390_and_1280(sv_context: Any, artifacts: Path) -> None:
    demo_seed()
    assert demo_tickets_seed(count=30, now=timezone.now()) == 30
    ticket = Ticket.objects.order_by("-sla_events__id").first() or Ticket.objects.first()
    assert ticket is not None
    out = artifacts / "swedish"
    out.mkdir(parents=True, exist_ok=True)
    phrases = english_phrases()
    assert len(phrases) > 200  # the check has something to look for
    page = sv_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    problems = []
    # Signed out: sign-in and the request form.
    problems += look(page, "/accounts/login/", "sign-in", phrases, out)
    problems += look(page, "/request/", "request", phrases, out)

    page.goto("/accounts/login/?next=/tickets/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(re.compile(r"/tickets/$"))
    for url, name in (
        ("/tickets/", "queue"),
        (f"/tickets/{ticket.pk}/", "ticket"),
        ("/tickets/profile/", "preferences"),
        ("/reports/sla/", "report"),
        ("/settings/", "settings"),
        ("/settings/sla/", "settings-sla"),
        ("/settings/sla/audit/", "audit"),
        ("/settings/email/", "settings-email"),
        ("/settings/webhooks/", "settings-webhooks"),
    ):
        problems += look(page, url, name, phrases, out)
    assert errors == [], f"JavaScript errors on the pages: {errors}"
    assert problems == [], "\n".join(problems)
