"""The language of a page (SPEC §9, issue 22): an agent's preference, else the browser's
(Accept-Language), else English; customers and signed-out visitors by their browser or the
language picker; a request form's ticket keeps its requester's language."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import TicketFactory, goal_row, sla_document
from tickets.models import AgentProfile, SlaEvent, Ticket

pytestmark = pytest.mark.django_db


def _nav(response) -> str:
    return response.content.decode()


def test_an_agent_without_a_preference_reads_the_browsers_language(agent_client: Client) -> None:
    english = agent_client.get("/tickets/")
    assert english["Content-Language"] == "en"
    assert '<html lang="en"' in _nav(english) and ">Queue</a>" in _nav(english)

    swedish = agent_client.get("/tickets/", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9,en;q=0.5")
    assert swedish["Content-Language"] == "sv"
    assert '<html lang="sv"' in _nav(swedish)
    assert ">Kö</a>" in _nav(swedish) and ">Logga ut</button>" in _nav(swedish)


def test_an_agents_preference_wins_over_the_browser(agent, agent_client: Client) -> None:
    AgentProfile.objects.create(user=agent, language="sv")
    page = agent_client.get("/tickets/", HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert page["Content-Language"] == "sv"
    assert ">Kö</a>" in _nav(page)

    AgentProfile.objects.filter(user=agent).update(language="en")
    page = agent_client.get("/tickets/", HTTP_ACCEPT_LANGUAGE="sv")
    assert page["Content-Language"] == "en"
    assert ">Queue</a>" in _nav(page)


def test_the_preferences_page_saves_the_language(agent, agent_client: Client) -> None:
    page = agent_client.get("/tickets/profile/").content.decode()
    assert 'name="language"' in page and ">Svenska</option>" in page
    response = agent_client.post("/tickets/profile/", {"timezone": "", "language": "sv"})
    assert response.status_code == 302
    assert AgentProfile.objects.get(user=agent).language == "sv"
    # The next page, and the message of the save, are in Swedish.
    page = agent_client.get("/tickets/profile/")
    assert page["Content-Language"] == "sv"
    assert "Dina inställningar har sparats." in page.content.decode()
    assert '<h1 class="h4 mb-1">Mina inställningar</h1>' in page.content.decode()


def test_an_unknown_language_is_refused_with_a_message(agent, agent_client: Client) -> None:
    response = agent_client.post("/tickets/profile/", {"timezone": "", "language": "xx"})
    assert response.status_code == 400
    assert "xx is not one of the available choices" in response.content.decode()
    assert not AgentProfile.objects.filter(user=agent, language="xx").exists()


def test_the_request_form_follows_the_browser_and_its_ticket_keeps_the_language(
    client: Client,
) -> None:
    page = client.get("/request/", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.8")
    assert page["Content-Language"] == "sv"
    html = page.content.decode()
    assert "Kontakta supporten" in html and "Din e-postadress" in html
    assert "Contact support" not in html

    response = client.post(
        "/request/",
        {"requester_email": "kund@example.se", "subject": "Skrivaren", "body": "Hjälp"},
        HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.8",
    )
    assert response.status_code == 302
    assert Ticket.objects.get(requester_email="kund@example.se").requester_language == "sv"
    thanks = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="sv")
    assert "Vi har tagit emot ditt ärende (nummer #" in thanks.content.decode()

    # A browser asking for English (or a language we do not have) gets English.
    page = client.get("/request/", HTTP_ACCEPT_LANGUAGE="de-DE,de")
    assert page["Content-Language"] == "en" and "Contact support" in page.content.decode()


def test_a_signed_out_visitor_picks_a_language(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert 'name="language"' in page and "Language" in page
    response = client.post("/i18n/setlang/", {"language": "sv", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "sv" and ">Logga in</h1>" in page.content.decode()


def test_the_javascript_catalogue_speaks_the_pages_language(client: Client) -> None:
    swedish = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "%(count)s dagar" in swedish
    english = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "%(count)s dagar" not in english and "function" in english


def test_api_error_texts_follow_accept_language_and_keep_their_keys(
    agent_client: Client,
) -> None:
    body = {"subject": "", "body": "x", "requester_email": "not-an-address", "priority": "huge"}
    english = agent_client.post("/api/tickets/", body, content_type="application/json")
    swedish = agent_client.post(
        "/api/tickets/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert english.status_code == swedish.status_code == 400
    assert swedish["Content-Language"] == "sv"
    # The same machine keys (field paths); only the texts differ.
    assert (
        set(english.json()["errors"])
        == set(swedish.json()["errors"])
        >= {
            "subject",
            "requester_email",
            "priority",
        }
    )
    assert english.json()["errors"]["requester_email"] == ["Enter a valid email address."]
    assert swedish.json()["errors"]["requester_email"] == ["Ange en giltig e-postadress."]
    assert swedish.json()["errors"]["subject"] == ["Det här fältet får inte vara tomt."]


def test_settings_api_validation_in_swedish_keeps_the_document_paths(
    admin_client_: Client,
) -> None:
    document = admin_client_.get("/api/sla/settings/").json()
    document["working_hours"] = {"mon": [["17:00", "09:00"]]}
    document["applies"] = "working_hours"
    response = admin_client_.put(
        "/api/sla/settings/", document, content_type="application/json", HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["working_hours.mon.0"] == ["Slutar (09:00) innan eller när den börjar (17:00)."]


def test_the_timeline_names_the_goal_row_in_the_readers_language(
    agent_client: Client, sla_settings
) -> None:
    """Clock events record the goal row's key ("priority:high"), so a Swedish timeline reads
    "(Prioritet Hög)"; events recorded before that, with the English label, read in Swedish too."""
    sla_settings(
        sla_document(
            scope="property",
            property="priority",
            goals=[goal_row("high", first_response=(60, 15), close=(480, None))],
        )
    )
    ticket = TicketFactory(priority="high")
    applied = ticket.sla_events.get(clock_kind="first_response", kind="applied")
    assert applied.detail["goal"] == "priority:high"
    url = f"/tickets/{ticket.pk}/"

    english = agent_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "First reply started (Priority High)" in english
    swedish = agent_client.get(url, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "(Prioritet Hög)" in swedish
    assert "Priority High" not in swedish

    # An event stored with the English label (as events were before the key).
    older = {**applied.detail, "goal": "Priority High"}
    SlaEvent.objects.filter(pk=applied.pk).update(detail=older)
    swedish = agent_client.get(url, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "(Prioritet Hög)" in swedish and "Priority High" not in swedish
    english = agent_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "First reply started (Priority High)" in english
