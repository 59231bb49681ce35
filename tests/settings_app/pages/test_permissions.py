"""SPEC §1 on the SLA settings pages: who may open and post them.

POSTs are built the way a browser builds them: the page is fetched, its form's fields are read
from the HTML (checked boxes, selected options, no disabled fields, no row templates), and the
test changes only what a person would change (``tests.settings_app.pages.helpers``).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from settings_app.selectors import sla_settings_document
from tests.settings_app.pages.helpers import SLA_URL
from tickets.models import SlaRecompute


@pytest.fixture
def recompute(db) -> SlaRecompute:
    return SlaRecompute.objects.create(settings_version=1, tickets=10, done=4)


SETTINGS_URLS = [
    "/settings/",
    "/settings/sla/",
    "/settings/sla/audit/",
    "/settings/sla/hours-summary/",
    "/settings/sla/recomputes/{recompute}/",
]


@pytest.mark.parametrize("url", SETTINGS_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, recompute, url: str) -> None:
    path = url.format(recompute=recompute.pk)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(path)}"


@pytest.mark.parametrize("url", SETTINGS_URLS)
@pytest.mark.parametrize("who", ["customer_user", "agent"])
def test_signed_in_users_who_are_not_super_admins_get_403(
    request: pytest.FixtureRequest, recompute, url: str, who: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(who))
    assert client.get(url.format(recompute=recompute.pk)).status_code == 403


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/settings/", 302),
        ("/settings/sla/", 200),
        ("/settings/sla/audit/", 200),
        ("/settings/sla/hours-summary/", 200),
        ("/settings/sla/recomputes/{recompute}/", 200),
    ],
)
def test_super_admins_may_open_every_settings_page(
    admin_client_: Client, recompute, url: str, status: int
) -> None:
    response = admin_client_.get(url.format(recompute=recompute.pk))
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == SLA_URL


def test_agents_cannot_post_settings(agent_client: Client, configured: dict) -> None:
    response = agent_client.post(SLA_URL, {"version": configured["version"], "applies": "always"})
    assert response.status_code == 403
    assert sla_settings_document() == configured


def test_a_missing_recompute_is_404(admin_client_: Client) -> None:
    assert admin_client_.get("/settings/sla/recomputes/999999/").status_code == 404
