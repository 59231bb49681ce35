"""Every URL the project serves, as every kind of visitor, plus CSRF on every form and API token
revocation (issue "Hardening", part 1).

The walk enumerates the URL resolver (the admin's patterns included) and checks that the table
``ROUTES`` below has an expectation for each one, so a new URL without one fails here first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from axes.models import AccessLog
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from settings_app.selectors import sla_settings_document
from tests.hardening.conftest import PASSWORD, ROLES, World, sign_in_attempt
from tests.hardening.pages import inline_code, page_form, page_forms
from tickets.api_auth.models import ApiToken
from tickets.models import AgentProfile, Ticket, TicketChange
from tickets.outbound.models import OutboundEmail
from tickets.services import ticket_close

# --- Expectations ---------------------------------------------------------------------------
# An expectation is one of:
#   "200", "400", "403", "404", "405", "503"   that status (for "403": an HTML page)
#   "login"         302 to the sign-in page, with ?next= the requested path
#   "admin_login"   302 to the admin's sign-in page, with ?next=
#   "401j", "403j"  that status with a JSON body {"errors": …}
#   "302>/path/"    302 to exactly that address ("{ticket}" stands for the ticket's id)

Expect = dict[str, str]


def by_role(out: str, user: str, agent: str, staff: str, super_admin: str) -> Expect:
    """``out`` is for both visitors who are not signed in (anonymous, and a customer who has
    just used the request form)."""
    return {
        "anonymous": out,
        "customer": out,
        "user": user,
        "agent": agent,
        "staff": staff,
        "super_admin": super_admin,
    }


EVERYONE_200 = by_role("200", "200", "200", "200", "200")
AGENT_PAGE = by_role("login", "403", "200", "200", "200")
SUPER_ADMIN_PAGE = by_role("login", "403", "403", "403", "200")
AGENT_API = by_role("401j", "403j", "200", "200", "200")
SUPER_ADMIN_API = by_role("401j", "403j", "403j", "403j", "200")
AGENT_POST_BACK = by_role(
    "login", "403", "302>/tickets/{ticket}/", "302>/tickets/{ticket}/", "302>/tickets/{ticket}/"
)
ADMIN_ANY_STAFF = by_role("admin_login", "admin_login", "200", "200", "200")
# Model pages: staff need the model's permissions (the agent has none).
ADMIN_PERMITTED = by_role("admin_login", "admin_login", "403", "200", "200")
# SLA settings and their audit log: super admins only, whatever permissions staff hold.
ADMIN_SUPER_ONLY = by_role("admin_login", "admin_login", "403", "403", "200")
# Pages the admin offers nobody (tickets are opened by customers; history is read-only).
ADMIN_NOBODY = by_role("admin_login", "admin_login", "403", "403", "403")


@dataclass(frozen=True)
class Route:
    url: Callable[[World], str]
    expect: Expect
    method: str = "get"
    data: Callable[[World], Any] = field(default=lambda world: {})
    json: bool = False


def fixed(path: str) -> Callable[[World], str]:
    return lambda world: path


def ticket_url(suffix: str = "") -> Callable[[World], str]:
    return lambda world: f"/tickets/{world.ticket.pk}/{suffix}"


def _mail(world: World) -> Any:
    """An email with an attachment that opened a ticket, taken in on first use."""
    from django.utils import timezone

    from tests.tickets.inbound.conftest import corpus
    from tickets.inbound.models import InboundEmail
    from tickets.inbound.services import email_ingest

    found = getattr(world, "inbound_mail", None)
    if found is None:
        result = email_ingest(raw=corpus("attachments"), via="pipe", now=timezone.now())
        found = InboundEmail.objects.get(message_id=result.message_id)
        world.inbound_mail = found
    return found


def _rejected(world: World) -> Any:
    from django.utils import timezone

    from tests.tickets.inbound.conftest import corpus
    from tickets.inbound.models import RejectedEmail
    from tickets.inbound.services import email_ingest

    email_ingest(raw=corpus("broken_mime"), via="pipe", now=timezone.now())
    return RejectedEmail.objects.get()


def _webhook(world: World) -> Any:
    """A webhook endpoint with one delivery, made on first use."""
    from django.utils import timezone

    from tickets.webhooks.models import WebhookDelivery

    found = getattr(world, "webhook", None)
    if found is None:
        found = _new_webhook()
        WebhookDelivery.objects.create(
            endpoint=found,
            event_id="evt_x",
            event_type="ticket.created",
            body="{}",
            created_at=timezone.now(),
        )
        world.webhook = found
    return found


def _new_webhook() -> Any:
    from django.utils import timezone

    from tickets.webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in",
        events=["sla.overdue"],
        secret="whsec_x",
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _webhook_delivery(world: World) -> Any:
    return _webhook(world).deliveries.first().pk


def _preview_run(world: World) -> int:
    """A background dry run of the settings (issue 15), made on first use."""
    from tickets.models import SettingsPreviewRun

    found = SettingsPreviewRun.objects.first()
    if found is None:
        found = SettingsPreviewRun.objects.create(
            document=sla_settings_document(), settings_version=1, tickets=1
        )
    return found.pk


def _team_schedule(world: World) -> int:
    """A team schedule (of no team, so the world's team stays deletable)."""
    from settings_app.models import TeamSchedule
    from settings_app.selectors import sla_settings_get

    schedule, _ = TeamSchedule.objects.get_or_create(
        sla_settings=sla_settings_get(), defaults={"timezone": "America/New_York"}
    )
    return schedule.pk


def _attachment_url(world: World) -> str:
    mail = _mail(world)
    attachment = mail.message.attachments.first()
    return f"/tickets/{mail.ticket_id}/attachments/{attachment.pk}/"


def _properties_unchanged(world: World) -> dict[str, Any]:
    ticket = world.ticket
    return {
        "owner": "",
        "priority": "",
        "team": "",
        "source": ticket.source,
        "stage": ticket.stage_id,
    }


ROUTES: dict[str, Route] = {
    "home": Route(
        fixed("/"),
        by_role(
            "302>/tickets/", "302>/tickets/", "302>/tickets/", "302>/tickets/", "302>/tickets/"
        ),
    ),
    "login": Route(fixed("/accounts/login/"), EVERYONE_200),
    "favicon": Route(fixed("/favicon.ico"), by_role(*["302>/static/favicon.ico"] * 5)),
    # Open to monitors, the same for everyone (503 here: no worker has run in this world).
    "healthz": Route(fixed("/healthz"), by_role("503", "503", "503", "503", "503")),
    # The language: the JavaScript catalogue and the picker of signed-out pages, for everyone.
    "javascript-catalog": Route(fixed("/jsi18n/"), EVERYONE_200),
    "set_language": Route(
        fixed("/i18n/setlang/"),
        by_role(*["302>/"] * 5),
        method="post",
        data=lambda world: {"language": "sv", "next": "/"},
    ),
    "logout": Route(
        fixed("/accounts/logout/"),
        by_role(*["302>/accounts/login/"] * 5),
        method="post",
    ),
    # --- settings (super admins) ---
    "settings_app:home": Route(
        fixed("/settings/"), by_role("login", "403", "403", "403", "302>/settings/sla/")
    ),
    "settings_app:sla": Route(fixed("/settings/sla/"), SUPER_ADMIN_PAGE),
    "settings_app:audit": Route(fixed("/settings/sla/audit/"), SUPER_ADMIN_PAGE),
    "settings_app:hours_summary": Route(fixed("/settings/sla/hours-summary/"), SUPER_ADMIN_PAGE),
    "settings_app:check": Route(fixed("/settings/sla/check/"), SUPER_ADMIN_PAGE, method="post"),
    "settings_app:holiday_source": Route(
        fixed("/settings/sla/holiday-source/"),
        SUPER_ADMIN_PAGE,
        method="post",
        data=lambda world: {"country": "SE", "first_year": "2026", "last_year": "2026"},
    ),
    # The old pages of a team's own hours and of the default ones: for good to the settings
    # page's sections, whoever asks (the settings page then decides who may see it).
    "settings_app:team_hours": Route(
        lambda world: f"/settings/sla/team-hours/{world.team.slug}/",
        by_role(*["301>/settings/sla/#team-schedules"] * 5),
    ),
    "settings_app:default_hours": Route(
        fixed("/settings/sla/default-hours/"), by_role(*["301>/settings/sla/#when-card"] * 5)
    ),
    "settings_app:recompute_progress": Route(
        lambda world: f"/settings/sla/recomputes/{world.recompute.pk}/", SUPER_ADMIN_PAGE
    ),
    "settings_app:dry_run_progress": Route(
        lambda world: f"/settings/sla/dry-runs/{_preview_run(world)}/", SUPER_ADMIN_PAGE
    ),
    "api:api_settings": Route(fixed("/api/sla/settings/"), SUPER_ADMIN_API, json=True),
    "api:api_settings_preview": Route(
        fixed("/api/sla/settings/preview/"),
        SUPER_ADMIN_API,
        method="post",
        data=lambda world: {"applies": "always", "timezone": "UTC"},
        json=True,
    ),
    "outbound:settings": Route(fixed("/settings/email/"), SUPER_ADMIN_PAGE),
    "outbound:test": Route(
        fixed("/settings/email/test/"),
        by_role("login", "403", "403", "403", "302>/settings/email/"),
        method="post",
        data=lambda world: {"to": "check@example.com"},
    ),
    # --- webhooks (super admins) ---
    "webhooks:settings": Route(fixed("/settings/webhooks/"), SUPER_ADMIN_PAGE),
    "webhooks:endpoint": Route(
        lambda world: f"/settings/webhooks/{_webhook(world).pk}/", SUPER_ADMIN_PAGE
    ),
    "webhooks:test": Route(
        lambda world: f"/settings/webhooks/{_webhook(world).pk}/test/",
        by_role("login", "403", "403", "403", "302>/settings/webhooks/"),
        method="post",
    ),
    "webhooks:switch": Route(
        lambda world: f"/settings/webhooks/{_webhook(world).pk}/switch/",
        by_role("login", "403", "403", "403", "302>/settings/webhooks/"),
        method="post",
        data=lambda world: {"active": "true"},
    ),
    "webhooks:delete": Route(
        lambda world: f"/settings/webhooks/{_new_webhook().pk}/delete/",
        by_role("login", "403", "403", "403", "302>/settings/webhooks/"),
        method="post",
    ),
    "api:api_webhooks": Route(fixed("/api/webhooks/"), SUPER_ADMIN_API, json=True),
    "api:api_webhook": Route(
        lambda world: f"/api/webhooks/{_webhook(world).pk}/", SUPER_ADMIN_API, json=True
    ),
    "api:api_webhook_deliveries": Route(
        lambda world: f"/api/webhooks/{_webhook(world).pk}/deliveries/", SUPER_ADMIN_API, json=True
    ),
    "api:api_webhook_test": Route(
        lambda world: f"/api/webhooks/{_webhook(world).pk}/test/",
        by_role("401j", "403j", "403j", "403j", "202"),
        method="post",
        json=True,
    ),
    "api:api_recompute": Route(
        lambda world: f"/api/sla/recomputes/{world.recompute.pk}/", SUPER_ADMIN_API, json=True
    ),
    "api:api_settings_preview_run": Route(
        lambda world: f"/api/sla/settings/previews/{_preview_run(world)}/",
        SUPER_ADMIN_API,
        json=True,
    ),
    # --- agents' pages ---
    "tickets:queue": Route(fixed("/tickets/"), AGENT_PAGE),
    "tickets:queue_rows": Route(fixed("/tickets/rows/"), AGENT_PAGE),
    "tickets:profile": Route(fixed("/tickets/profile/"), AGENT_PAGE),
    "tickets:detail": Route(ticket_url(), AGENT_PAGE),
    "tickets:live": Route(ticket_url("live/"), AGENT_PAGE),
    "tickets:leave": Route(
        ticket_url("leave/"), by_role("login", "403", "204", "204", "204"), method="post"
    ),
    "tickets:reply": Route(
        ticket_url("reply/"),
        AGENT_POST_BACK,
        method="post",
        data=lambda world: {"visibility": "internal", "body": "Checking the logs."},
    ),
    "tickets:properties": Route(
        ticket_url("properties/"), AGENT_POST_BACK, method="post", data=_properties_unchanged
    ),
    "tickets:close": Route(ticket_url("close/"), AGENT_POST_BACK, method="post"),
    "tickets:reopen": Route(ticket_url("reopen/"), AGENT_POST_BACK, method="post"),
    "tickets:sla_report": Route(fixed("/reports/sla/"), AGENT_PAGE),
    "tickets:sla_report_csv": Route(fixed("/reports/sla/export.csv"), AGENT_PAGE),
    # --- customers ---
    "tickets:request": Route(fixed("/request/"), EVERYONE_200),
    "tickets:request_thanks": Route(fixed("/request/thanks/"), EVERYONE_200),
    # --- the ticket API (session here; tokens below) ---
    "api:api_tickets": Route(fixed("/api/tickets/"), AGENT_API, json=True),
    "api:api_ticket": Route(lambda world: f"/api/tickets/{world.ticket.pk}/", AGENT_API, json=True),
    "api:api_ticket_messages": Route(
        lambda world: f"/api/tickets/{world.ticket.pk}/messages/",
        by_role("401j", "403j", "201", "201", "201"),
        method="post",
        data=lambda world: {"body": "Any news?", "author": "customer"},
        json=True,
    ),
    # --- the API's reference lists, its OpenAPI document and docs, unknown API addresses ---
    "api:api_teams": Route(fixed("/api/teams/"), AGENT_API, json=True),
    "api:api_pipelines": Route(fixed("/api/pipelines/"), AGENT_API, json=True),
    "api:api_agents": Route(fixed("/api/agents/"), AGENT_API, json=True),
    "api:openapi-json": Route(fixed("/api/schema/"), EVERYONE_200, json=True),
    "api:openapi-view": Route(fixed("/api/docs/"), EVERYONE_200),
    "api:api-root": Route(fixed("/api/"), by_role("404j", "404j", "404j", "404j", "404j")),
    # --- inbound email (a mail service's webhook; agents' downloads) ---
    "api:api_inbound_email": Route(
        fixed("/api/inbound-email/"),
        # Agents get as far as the body check (a raw message is not JSON).
        by_role("401j", "403j", "415j", "415j", "415j"),
        method="post",
        json=True,
    ),
    "inbound:attachment": Route(_attachment_url, AGENT_PAGE),
    "inbound:original": Route(
        lambda world: (
            f"/tickets/{_mail(world).ticket_id}/messages/{_mail(world).message_id}/original/"
        ),
        AGENT_PAGE,
    ),
    "admin:inbound_inboundemail_download": Route(
        lambda world: f"/admin/inbound/inboundemail/{_mail(world).pk}/download/", ADMIN_PERMITTED
    ),
    "admin:inbound_rejectedemail_download": Route(
        lambda world: f"/admin/inbound/rejectedemail/{_rejected(world).pk}/download/",
        ADMIN_PERMITTED,
    ),
    # --- the Django admin ---
    "admin:index": Route(fixed("/admin/"), ADMIN_ANY_STAFF),
    "admin:login": Route(
        fixed("/admin/login/"), by_role("200", "200", "302>/admin/", "302>/admin/", "302>/admin/")
    ),
    "admin:logout": Route(
        fixed("/admin/logout/"),
        # Signed-in staff are signed out and sent to the sign-in page (LOGOUT_REDIRECT_URL).
        by_role("302>/admin/", "302>/admin/", *["302>/accounts/login/"] * 3),
        method="post",
    ),
    "admin:password_change": Route(fixed("/admin/password_change/"), ADMIN_ANY_STAFF),
    "admin:password_change_done": Route(fixed("/admin/password_change/done/"), ADMIN_ANY_STAFF),
    "admin:jsi18n": Route(fixed("/admin/jsi18n/"), ADMIN_ANY_STAFF),
    # Teams are searchable, so a ticket's team field may autocomplete (with view permission).
    "admin:autocomplete": Route(
        fixed("/admin/autocomplete/?app_label=tickets&model_name=ticket&field_name=team&term=bil"),
        ADMIN_PERMITTED,
    ),
    # No model has a public page ("view on site"), so it is 404 for whoever may use the admin.
    "admin:view_on_site": Route(
        lambda world: f"/admin/r/{ContentType.objects.get_for_model(Ticket).pk}/{world.ticket.pk}/",
        by_role("admin_login", "admin_login", "404", "404", "404"),
    ),
    # An app's page lists the models one may see; with none it does not exist for you.
    "admin:app_list": Route(
        fixed("/admin/tickets/"), by_role("admin_login", "admin_login", "404", "200", "200")
    ),
    # The API tokens' admin moved with their app (issue 20): the old address redirects there
    # for good, whoever asks (the admin then decides who may see it).
    "<unnamed> ^admin/tickets/apitoken/(?P<rest>.*)$": Route(
        fixed("/admin/tickets/apitoken/"), by_role(*["301>/admin/apiauth/apitoken/"] * 5)
    ),
    "<unnamed> admin/(?P<url>.*)$": Route(
        fixed("/admin/no-such-page/"), by_role("admin_login", "admin_login", "404", "404", "404")
    ),
}

# Per admin model: the object to open, and who may use each of its pages.
ADMIN_MODELS: dict[str, tuple[Callable[[World], Any], dict[str, Expect]]] = {
    "auth_group": (lambda w: w.group.pk, {}),
    "auth_user": (lambda w: w.plain_user.pk, {}),
    "settings_app_team": (lambda w: w.team.pk, {}),
    "settings_app_pipeline": (lambda w: w.ticket.pipeline_id, {}),
    "settings_app_slasettings": (
        lambda w: 1,
        {
            "changelist": ADMIN_SUPER_ONLY,
            "add": ADMIN_NOBODY,
            "change": ADMIN_SUPER_ONLY,
            "delete": ADMIN_NOBODY,
            "history": ADMIN_SUPER_ONLY,
        },
    ),
    # Team schedules: super admins only, as the settings they belong to.
    "settings_app_teamschedule": (
        lambda w: _team_schedule(w),
        {
            "changelist": ADMIN_SUPER_ONLY,
            "add": ADMIN_SUPER_ONLY,
            "change": ADMIN_SUPER_ONLY,
            "delete": ADMIN_SUPER_ONLY,
            "history": ADMIN_SUPER_ONLY,
        },
    ),
    "settings_app_slasettingschange": (
        lambda w: w.change.pk,
        {
            "changelist": ADMIN_SUPER_ONLY,
            "add": ADMIN_NOBODY,
            "change": ADMIN_SUPER_ONLY,  # read-only for super admins
            "delete": ADMIN_NOBODY,
            "history": ADMIN_SUPER_ONLY,
        },
    ),
    "tickets_ticket": (lambda w: w.ticket.pk, {"add": ADMIN_NOBODY}),
    "apiauth_apitoken": (lambda w: w.token.pk, {}),
    "tickets_agentprofile": (lambda w: w.profile.pk, {}),
    # Mail is taken in, never typed in the admin: read-only lists.
    "inbound_inboundemail": (lambda w: _mail(w).pk, {"add": ADMIN_NOBODY}),
    "inbound_rejectedemail": (lambda w: _rejected(w).pk, {"add": ADMIN_NOBODY}),
    # Sign-in attempts and sign-ins (django-axes): read and unlock (delete), never added by hand.
    "axes_accessattempt": (lambda w: w.attempt.pk, {"add": ADMIN_NOBODY}),
    "axes_accesslog": (lambda w: w.sign_in.pk, {"add": ADMIN_NOBODY}),
    "tickets_slarecompute": (
        lambda w: w.recompute.pk,
        {"add": ADMIN_NOBODY, "delete": ADMIN_NOBODY},
    ),
    # The outbox: read-only (emails are queued by the services that cause them).
    "outbound_outboundemail": (
        lambda w: OutboundEmail.objects.filter(ticket=w.ticket).values_list("pk", flat=True)[0],
        {"add": ADMIN_NOBODY, "delete": ADMIN_NOBODY},
    ),
    # Webhooks: super admins only, whatever permissions staff hold; endpoints are added on the
    # settings page or the API (the secret is shown once), deliveries by the events.
    "webhooks_webhookendpoint": (
        lambda w: _webhook(w).pk,
        {
            "changelist": ADMIN_SUPER_ONLY,
            "add": ADMIN_NOBODY,
            "change": ADMIN_SUPER_ONLY,
            "delete": ADMIN_SUPER_ONLY,
            "history": ADMIN_SUPER_ONLY,
        },
    ),
    "webhooks_webhookdelivery": (
        _webhook_delivery,
        {
            "changelist": ADMIN_SUPER_ONLY,
            "add": ADMIN_NOBODY,
            "change": ADMIN_SUPER_ONLY,
            "delete": ADMIN_SUPER_ONLY,
            "history": ADMIN_SUPER_ONLY,
        },
    ),
    # The ticket history: read-only for whoever may view it.
    "tickets_ticketchange": (
        lambda w: (
            TicketChange.objects.get_or_create(
                ticket=w.ticket,
                field="priority",
                defaults={"at": timezone.now(), "new_value": "high"},
            )[0].pk
        ),
        {"add": ADMIN_NOBODY, "delete": ADMIN_NOBODY},
    ),
}


def _admin_model_routes() -> Iterator[tuple[str, Route]]:
    for model, (object_id, special) in ADMIN_MODELS.items():
        app_label, _, model_name = model.partition("_")
        if model.startswith("settings_app_"):
            app_label, model_name = "settings_app", model.removeprefix("settings_app_")
        base = f"/admin/{app_label}/{model_name}/"

        def page(suffix: str, object_id: Callable[[World], Any] = object_id, base: str = base):
            return lambda world: f"{base}{object_id(world)}/{suffix}"

        yield (
            f"admin:{model}_changelist",
            Route(fixed(base), special.get("changelist", ADMIN_PERMITTED)),
        )
        yield f"admin:{model}_add", Route(fixed(f"{base}add/"), special.get("add", ADMIN_PERMITTED))
        for action in ("change", "delete", "history"):
            yield (
                f"admin:{model}_{action}",
                Route(page(f"{action}/"), special.get(action, ADMIN_PERMITTED)),
            )
        # The bare object address redirects (for any staff) to its change page.
        redirect = "302>{admin_change}"
        yield (
            f"<unnamed> {base.removeprefix('/')}<path:object_id>/",
            Route(page(""), by_role("admin_login", "admin_login", redirect, redirect, redirect)),
        )
    yield (
        "admin:auth_user_password_change",
        Route(lambda world: f"/admin/auth/user/{world.plain_user.pk}/password/", ADMIN_PERMITTED),
    )


ROUTES.update(_admin_model_routes())


# --- The walk -------------------------------------------------------------------------------


def served_routes() -> dict[str, str]:
    """Every URL pattern the project serves: name (or "<unnamed> pattern") -> pattern."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace) if part)
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                assert isinstance(pattern, URLPattern)
                route = prefix + str(pattern.pattern)
                if pattern.name:
                    key = f"{namespace}:{pattern.name}" if namespace else pattern.name
                else:
                    key = f"<unnamed> {route}"
                found[key] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_served_url_has_an_expectation_for_every_role() -> None:
    served = served_routes()
    missing = sorted(set(served) - set(ROUTES))
    stale = sorted(set(ROUTES) - set(served))
    assert not missing, f"URLs without an expectation in ROUTES: {missing}"
    assert not stale, f"expectations for URLs the project no longer serves: {stale}"
    for name, route in ROUTES.items():
        assert set(route.expect) == set(ROLES), name


def _check(response: Any, expected: str, *, path: str, world: World) -> str | None:
    """None when ``response`` is what ``expected`` says, else a description of the difference."""
    status = response.status_code
    location = response.get("Location", "")
    got = f"{status} {location}".strip()
    if expected == "login":
        if status == 302 and location == f"/accounts/login/?next={quote(path, safe='/')}":
            return None
        return f"expected a redirect to sign in, got {got}"
    if expected == "admin_login":
        if status == 302 and location.startswith("/admin/login/?next="):
            return None
        return f"expected a redirect to the admin's sign in, got {got}"
    if expected[:4] in ("301>", "302>"):
        wanted = int(expected[:3])
        target = expected[4:].replace("{ticket}", str(world.ticket.pk))
        if target == "{admin_change}":
            target = path + "change/"
        if (status, location) == (wanted, target):
            return None
        return f"expected {wanted} to {target}, got {got}"
    if expected.endswith("j"):
        wanted = int(expected[:-1])
        is_json = response.get("Content-Type", "").startswith("application/json")
        if status == wanted and is_json and "errors" in json.loads(response.content):
            return None
        return f"expected {wanted} with a JSON error body, got {got} {response.content[:120]!r}"
    if status != int(expected):
        return f"expected {expected}, got {got}"
    if expected == "403" and "json" in response.get("Content-Type", ""):
        return "expected an HTML 403, got JSON"
    return None


SIGNED_IN_ROLES = frozenset({"user", "agent", "staff", "super_admin"})


def _headers_problem(response: Any, *, role: str) -> str | None:
    """None when ``response`` carries the headers every answer needs (issue "Security, second
    round"): a strict Content-Security-Policy and Permissions-Policy on every response, and
    ``Cache-Control: no-store`` on every response to a signed-in user; pages run no inline code."""
    csp = response.get("Content-Security-Policy", "")
    if "script-src 'self'" not in csp or "style-src 'self'" not in csp or "unsafe" in csp:
        return f"Content-Security-Policy missing or loose: {csp!r}"
    if "camera=()" not in response.get("Permissions-Policy", ""):
        return "no Permissions-Policy"
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    if role in SIGNED_IN_ROLES and "no-store" not in cache_control:
        return f"Cache-Control {response.get('Cache-Control')!r} on a signed-in answer"
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        found = inline_code(response.content.decode())
        if found:
            return f"inline code the policy blocks: {found[:3]}"
    return None


def route_group(name: str) -> str:
    """Routes are walked in groups (one test each): an admin model's pages, the settings pages,
    the settings API, the agents' pages, the ticket API, the customers' pages, the rest."""
    for model in ADMIN_MODELS:
        app_label, _, model_name = model.partition("_")
        if model.startswith("settings_app_"):
            app_label, model_name = "settings_app", model.removeprefix("settings_app_")
        if name.startswith(f"admin:{model}_") or name.startswith(
            f"<unnamed> admin/{app_label}/{model_name}/"
        ):
            return f"admin {model}"
    for prefix, group in (
        ("admin:", "admin site"),
        ("<unnamed> admin/", "admin site"),
        ("settings_app:", "settings pages"),
        ("api:", "API"),
        ("tickets:request", "customers' pages"),
        ("tickets:", "agents' pages"),
    ):
        if name.startswith(prefix):
            return group
    return "site"


GROUPS: dict[str, list[str]] = {}
for _name in sorted(ROUTES):
    GROUPS.setdefault(route_group(_name), []).append(_name)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_each_url_answers_each_role_as_expected(world: World, group: str) -> None:
    problems = []
    for name in GROUPS[group]:
        route = ROUTES[name]
        for role in ROLES:
            # A POST may sign the client out or change what it sees: it gets a client of its own.
            client = world.clients[role] if route.method == "get" else world.fresh_client(role)
            path = route.url(world)
            data = route.data(world)
            if route.method == "get":
                response = client.get(path)
            elif route.json:
                response = client.post(path, json.dumps(data), content_type="application/json")
            else:
                response = client.post(path, data)
            problem = _check(
                response, route.expect[role], path=path.split("?")[0], world=world
            ) or _headers_problem(response, role=role)
            if problem:
                problems.append(f"{route.method.upper()} {name} as {role}: {problem}")
    assert not problems, "\n  ".join(["", *problems])


# --- Support staff cannot become super admins ------------------------------------------------


def test_support_staff_cannot_make_themselves_or_anyone_a_super_admin(world: World) -> None:
    staff = world.clients["staff"]
    url = f"/admin/auth/user/{world.plain_user.pk}/change/"
    form = page_form(staff.get(url).content.decode(), action="", method="post")
    data = form.data()
    data.update({"is_superuser": ["on"], "is_staff": ["on"], "_save": ["Save"]})
    assert staff.post(url, data).status_code == 302  # the rest of the change is saved
    world.plain_user.refresh_from_db()
    assert world.plain_user.is_staff and not world.plain_user.is_superuser


def test_support_staff_cannot_edit_remove_or_reset_a_super_admin(world: World) -> None:
    boss = world.users["super_admin"]
    staff = world.clients["staff"]
    base = f"/admin/auth/user/{boss.pk}/"
    assert staff.post(f"{base}change/", {"username": "mine", "is_active": ""}).status_code == 403
    assert staff.get(f"{base}password/").status_code == 403
    assert staff.post(f"{base}password/", {"password1": "x" * 20}).status_code == 403
    assert staff.post(f"{base}delete/", {"post": "yes"}).status_code == 403
    boss.refresh_from_db()
    assert (boss.username, boss.is_active, boss.is_superuser) == ("boss", True, True)
    # A super admin may.
    assert world.clients["super_admin"].get(f"{base}password/").status_code == 200


def test_support_staff_cannot_change_sla_settings_in_the_admin(world: World) -> None:
    before = sla_settings_document()
    url = "/admin/settings_app/slasettings/1/change/"
    response = world.clients["staff"].post(url, {"applies": "always", "timezone": "UTC"})
    assert response.status_code == 403
    assert sla_settings_document() == before
    assert "settings_app/slasettings" not in world.clients["staff"].get("/admin/").content.decode()


# Every admin page of a row that belongs to a super admin, as support staff holding every model
# permission and as a super admin. Staff may read a super admin's user record (read-only) but
# change, delete or reset nothing, and do not even see a super admin's tokens or preferences
# (their pages answer as for a row that does not exist: back to the admin's index).
HIDDEN = "302>/admin/"
SUPER_ADMINS_ROWS: dict[str, tuple[Callable[[World], Any], dict[str, tuple[str, str]]]] = {
    "auth/user": (
        lambda world: world.users["super_admin"].pk,
        {
            "change/": ("200", "200"),  # read-only for staff; a POST is 403 (test above)
            "delete/": ("403", "200"),
            "history/": ("200", "200"),
            "password/": ("403", "200"),
        },
    ),
    "apiauth/apitoken": (
        lambda world: (
            ApiToken.objects.create(user=world.users["super_admin"], key=ApiToken.generate_key()).pk
        ),
        {"change/": (HIDDEN, "200"), "delete/": (HIDDEN, "200"), "history/": (HIDDEN, "200")},
    ),
    "tickets/agentprofile": (
        lambda world: AgentProfile.objects.create(user=world.users["super_admin"]).pk,
        {"change/": (HIDDEN, "200"), "delete/": (HIDDEN, "200"), "history/": (HIDDEN, "200")},
    ),
    # Staff cannot unlock a super admin's name for someone guessing its password.
    "axes/accessattempt": (
        lambda world: sign_in_attempt("boss").pk,
        {"change/": (HIDDEN, "200"), "delete/": (HIDDEN, "200"), "history/": (HIDDEN, "200")},
    ),
    "axes/accesslog": (
        lambda world: AccessLog.objects.create(username="boss", ip_address="198.51.100.9").pk,
        {"change/": (HIDDEN, "200"), "delete/": (HIDDEN, "200"), "history/": (HIDDEN, "200")},
    ),
}


@pytest.mark.parametrize("model", sorted(SUPER_ADMINS_ROWS))
def test_staff_with_every_permission_cannot_act_on_a_super_admins_rows(
    world: World, model: str
) -> None:
    object_id, pages = SUPER_ADMINS_ROWS[model]
    base = f"/admin/{model}/{object_id(world)}/"
    listed = {
        role: world.clients[role].get(f"/admin/{model}/").content.decode()
        for role in ("staff", "super_admin")
    }
    problems = []
    for suffix, expected in pages.items():
        for role, expect in zip(("staff", "super_admin"), expected, strict=True):
            response = world.clients[role].get(base + suffix)
            problem = _check(response, expect, path=base + suffix, world=world)
            if problem:
                problems.append(f"GET {base + suffix} as {role}: {problem}")
    assert not problems, "\n  ".join(["", *problems])
    link = f'href="{base}change/'
    assert link in listed["super_admin"]
    assert (link in listed["staff"]) == (model == "auth/user")


# --- CSRF on every form ----------------------------------------------------------------------


@dataclass(frozen=True)
class PostForm:
    role: str
    page: Callable[[World], str]  # the page that shows the form
    action: Callable[[World], str]  # where it posts ("" = the page itself)
    changes: dict[str, str] = field(default_factory=dict)
    # What a valid submission answers (proves that only the missing token made the 403).
    accepted: int = 302
    # Brings the world to where the page shows the form (a closed ticket shows "Reopen").
    prepare: Callable[[World], Any] = field(default=lambda world: None)


def _page_action(path: str) -> Callable[[World], str]:
    return lambda world: path


POST_FORMS: dict[str, PostForm] = {
    "login": PostForm(
        "anonymous",
        fixed("/accounts/login/"),
        _page_action("/accounts/login/"),
        {"username": "agent", "password": PASSWORD},
    ),
    "request": PostForm(
        "anonymous",
        fixed("/request/"),
        _page_action(""),
        {"requester_email": "a@example.com", "subject": "Hi", "body": "Help"},
    ),
    "settings": PostForm("super_admin", fixed("/settings/sla/"), _page_action("/settings/sla/")),
    "email settings": PostForm(
        "super_admin", fixed("/settings/email/"), _page_action("/settings/email/")
    ),
    "test email": PostForm(
        "super_admin", fixed("/settings/email/"), _page_action("/settings/email/test/")
    ),
    "reply": PostForm(
        "agent", ticket_url(), ticket_url("reply/"), {"body": "On it.", "visibility": "public"}
    ),
    "properties": PostForm("agent", ticket_url(), ticket_url("properties/"), {"priority": "high"}),
    "close": PostForm("agent", ticket_url(), ticket_url("close/")),
    "reopen": PostForm(
        "agent",
        ticket_url(),
        ticket_url("reopen/"),
        prepare=lambda world: ticket_close(ticket_id=world.ticket.pk, now=timezone.now()),
    ),
    "profile": PostForm("agent", fixed("/tickets/profile/"), _page_action("")),
    "logout": PostForm("agent", fixed("/tickets/"), _page_action("/accounts/logout/")),
    "admin login": PostForm(
        "anonymous",
        fixed("/admin/login/"),
        _page_action("/admin/login/"),
        {"username": "support", "password": PASSWORD},
    ),
    "admin logout": PostForm("staff", fixed("/admin/"), _page_action("/admin/logout/")),
    "admin change": PostForm(
        "staff",
        lambda world: f"/admin/settings_app/team/{world.team.pk}/change/",
        _page_action(""),
        {"name": "Billing and refunds"},
    ),
}


def _csrf_client(world: World, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    if role in world.users:
        client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("name", sorted(POST_FORMS))
def test_every_post_form_needs_its_csrf_token(world: World, name: str) -> None:
    case = POST_FORMS[name]
    case.prepare(world)
    client = _csrf_client(world, case.role)
    page = client.get(case.page(world))
    assert page.status_code == 200
    form = page_form(page.content.decode(), action=case.action(world))
    assert form.csrf_token, f"the {name} form carries no CSRF token"
    target = case.action(world) or case.page(world)
    data = form.data(without=("csrfmiddlewaretoken",))
    data.update({key: [value] for key, value in case.changes.items()})

    refused = client.post(target, data)
    assert refused.status_code == 403
    assert b"CSRF verification failed" in refused.content

    accepted = client.post(target, {**data, "csrfmiddlewaretoken": [form.csrf_token]})
    assert accepted.status_code == case.accepted, accepted.content[:500]


def test_every_post_form_the_pages_render_is_covered(world: World) -> None:
    """Each POST form on the pages people use carries a CSRF token (and is in POST_FORMS)."""
    pages = {
        "agent": ["/tickets/", f"/tickets/{world.ticket.pk}/", "/tickets/profile/"],
        "super_admin": ["/settings/sla/", "/settings/sla/audit/", "/settings/email/"],
        "anonymous": ["/accounts/login/", "/request/"],
    }
    for role, paths in pages.items():
        client = _csrf_client(world, role)
        for path in paths:
            for form in page_forms(client.get(path).content.decode()):
                if form.method == "post":
                    assert form.csrf_token, f"a POST form on {path} has no CSRF token"


def test_session_writes_to_the_api_need_the_csrf_token_token_writes_do_not(world: World) -> None:
    client = _csrf_client(world, "agent")
    body = json.dumps({"subject": "Hi", "body": "Hello", "requester_email": "a@example.com"})
    refused = client.post("/api/tickets/", body, content_type="application/json")
    assert refused.status_code == 403 and "errors" in refused.json()
    client.get("/tickets/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/tickets/", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    channel = Client(
        enforce_csrf_checks=True, headers={"Authorization": f"Token {world.token.key}"}
    )
    assert channel.post("/api/tickets/", body, content_type="application/json").status_code == 201


# --- API tokens ------------------------------------------------------------------------------


def _token_get(token: str, path: str = "/api/tickets/") -> Any:
    return Client().get(path, headers={"Authorization": f"Token {token}"})


def test_a_valid_token_works(world: World) -> None:
    assert _token_get(world.token.key).status_code == 200


@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param(lambda t: ApiToken.objects.filter(pk=t.pk).update(is_active=False), id="off"),
        pytest.param(lambda t: ApiToken.objects.filter(pk=t.pk).delete(), id="deleted"),
        pytest.param(
            lambda t: type(t.user).objects.filter(pk=t.user_id).update(is_active=False),
            id="user-off",
        ),
    ],
)
def test_a_revoked_token_gets_401(world: World, revoke: Callable[[ApiToken], Any]) -> None:
    revoke(world.token)
    response = _token_get(world.token.key)
    assert response.status_code == 401
    assert response.json() == {"errors": {"": ["Invalid or revoked API token."]}}


@pytest.mark.parametrize(
    "header", ["Token ", "Token nope", "Bearer {key}", "Token {key}x", "Basic {key}"]
)
def test_malformed_or_unknown_tokens_get_401(world: World, header: str) -> None:
    response = Client().get(
        "/api/tickets/", headers={"Authorization": header.format(key=world.token.key)}
    )
    assert response.status_code == 401 and "errors" in response.json()


def test_a_token_follows_its_owners_role(world: World) -> None:
    agent = world.token.user
    assert _token_get(world.token.key, "/api/sla/settings/").status_code == 403
    type(agent).objects.filter(pk=agent.pk).update(is_staff=False)
    assert _token_get(world.token.key).status_code == 403
    boss_token = ApiToken.objects.create(
        user=world.users["super_admin"], key=ApiToken.generate_key()
    )
    assert _token_get(boss_token.key, "/api/sla/settings/").status_code == 200


def test_api_answers_to_a_token_are_never_stored(world: World) -> None:
    for path in ("/api/tickets/", f"/api/tickets/{world.ticket.pk}/", "/api/sla/settings/"):
        response = _token_get(world.token.key, path)
        assert response.status_code in (200, 403)
        assert response["Cache-Control"] == "no-store", path
        assert "default-src 'self'" in response["Content-Security-Policy"]


def test_the_customers_thank_you_page_is_never_stored(world: World) -> None:
    response = world.clients["customer"].get("/request/thanks/")
    ticket = Ticket.objects.get(requester_email="cy@example.com")
    assert f"#{ticket.pk}" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
