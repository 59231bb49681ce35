"""The factories make what they promise: a factory user signs in with ``PASSWORD``."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import PASSWORD, AgentFactory, SuperAdminFactory, UserFactory
from tests.hardening.pages import page_form

FACTORIES = {"user": UserFactory, "agent": AgentFactory, "super admin": SuperAdminFactory}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_a_factory_user_signs_in_through_the_sign_in_page(name: str) -> None:
    user = FACTORIES[name]()
    user.refresh_from_db()  # what the database holds, not the instance the factory built
    browser = Client(enforce_csrf_checks=True)
    form = page_form(browser.get("/accounts/login/").content.decode(), action="/accounts/login/")
    data = {**form.data(), "username": [user.username], "password": [PASSWORD]}

    response = browser.post("/accounts/login/", data)

    assert "Please enter a correct username and password" not in response.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert browser.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_a_factory_user_given_a_password_signs_in_with_it() -> None:
    user = AgentFactory(password="another-long-passphrase")
    browser = Client()
    assert browser.login(username=user.username, password="another-long-passphrase")
    assert not Client().login(username=user.username, password=PASSWORD)
