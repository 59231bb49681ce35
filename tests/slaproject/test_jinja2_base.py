"""The Jinja2 twin of the pages' frame (templates/jinja2/base.html) writes the same HTML as the
Django one (templates/base.html) around a page's content: for agents, super admins, staff who
may use the admin, customers and signed-out visitors, with flash messages, in each language. A
change to one frame and not the other fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.db import SessionStore
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from tests.factories import AgentFactory, SuperAdminFactory, UserFactory

pytestmark = pytest.mark.django_db

CHILD = {
    "django": '{% extends "base.html" %}{% block title %}Page{% endblock %}'
    "{% block container %}container-xxl{% endblock %}{% block content %}<p>{{ text }}</p>"
    '{% endblock %}{% block scripts %}<script src="/x.js"></script>{% endblock %}',
    "jinja2": '{% extends "base.html" %}{% block title %}Page{% endblock %}'
    "{% block container %}container-xxl{% endblock %}{% block content %}<p>{{ text }}</p>"
    '{% endblock %}{% block scripts %}<script src="/x.js"></script>{% endblock %}',
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def staff_with_admin_rights() -> Any:
    user = AgentFactory(username="helper")
    user.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    return user


USERS = {
    "agent": lambda: AgentFactory(username="agent"),
    "super admin": lambda: SuperAdminFactory(username="boss"),
    "staff with admin rights": staff_with_admin_rights,
    "customer": lambda: UserFactory(username="visitor"),
    "signed out": AnonymousUser,
}


def page(engine: str, request: Any, nav: str) -> str:
    template = engines[engine].from_string(CHILD[engine])
    html = template.render({"text": "Tom & 'Jerry'", "nav": nav}, request)
    return CSRF.sub('name="csrfmiddlewaretoken" value="…"', html)


@pytest.mark.parametrize("who", list(USERS))
@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("nav", ["queue", "reports", "settings", "profile"])
def test_the_jinja2_frame_is_the_django_frame(who, language, nav) -> None:
    request = RequestFactory().get("/tickets/?q=a%26b&page=2")
    request.user = USERS[who]()
    request.session = SessionStore()
    request._messages = default_storage(request)  # type: ignore[attr-defined]
    messages.info(request, "Saved <b>it</b>.")
    messages.error(request, "Could not & did not.")
    with translation.override(language):
        django, jinja = page("django", request, nav), page("jinja2", request, nav)
    assert jinja == django
    assert "Saved &lt;b&gt;it&lt;/b&gt;." in jinja and "alert-danger" in jinja
    assert ("Sign out" in jinja or "Logga ut" in jinja) == (who != "signed out")
    admin_link = f'href="{reverse("admin:index")}"'
    assert (admin_link in jinja) == (who in ("super admin", "staff with admin rights"))
