"""Bad input (issue "Hardening", part 3): random and hostile values for the settings document
(API), the settings page, the ticket API and the public request form.

Whatever comes in: never a 500, never a half-saved change (a refused save leaves the settings,
their version and the audit log as they were; a refused ticket is not created), and markup is
shown escaped on every page that displays it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settings_app.document import GOAL_FIELDS, PROPERTIES, WEEKDAYS
from settings_app.models import Pipeline, SlaSettingsChange, Stage, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from slaproject.single_line import single_line
from tests.factories import WORKING_HOURS_DOCUMENT, sla_document
from tests.hardening.pages import page_form
from tickets.api_auth.models import ApiToken
from tickets.models import Message, Ticket

User = get_user_model()
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
MARKUP = "<script>alert(\"pwned\")</script><img src=x onerror='alert(1)'>"
# Markup without quotes, so that it reads the same in JSON and Python reprs (the admin's views).
EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"
HOSTILE_TEXT = [
    MARKUP,
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: valid in a JSON string ("\ud800"), not in UTF-8
    "x\udfffy",
    "<60,000 As>",
    "<5,000 nines>",
    "{{ 7|add:7 }}{% debug %}",
    "' OR 1=1 --",
    "../../../../etc/passwd",
    "\u202egnp.exe",
    "😀",
    "",
    "   ",
    "24:00",
    "09:00",
    "Europe/Stockholm",
    "support/waiting-on-customer",
    "support/closed",
    "urgent",
    "billing",
    "closed",
    "agent",
]
# Long values stand as short tokens in the strategies, so that failure reports stay readable.
LONG_VALUES = {"<60,000 As>": "A" * 60_000, "<5,000 nines>": "9" * 5000}


def _expand(text: str) -> str:
    return LONG_VALUES.get(text, text)


odd_chars = st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udfff", "<", "&"]))
nasty_texts = st.sampled_from(HOSTILE_TEXT).map(_expand)
texts = st.one_of(nasty_texts, st.lists(odd_chars, max_size=20).map("".join))
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, -1, 1, 525_600, 525_601, 2**31, 2**63, 10**30]),
    st.floats(),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
hostile = st.one_of(
    texts,  # the likeliest to slip through: text where text is expected
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)
        ),
        max_leaves=6,
    ),
)


def valid_or_hostile(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(valid, hostile)


clock_texts = st.sampled_from(["00:00", "09:00", "12:00", "13:00", "17:00", "24:00", "9:00"])
goal_rows = st.fixed_dictionaries(
    {},
    optional={
        "value": valid_or_hostile(st.sampled_from([None, "low", "high", "urgent", "email"])),
        "enabled": valid_or_hostile(st.booleans()),
        **{
            name: valid_or_hostile(st.one_of(st.none(), st.integers(1, 525_600)))
            for name in GOAL_FIELDS
        },
    },
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "version": valid_or_hostile(st.just("current")),
        "applies": valid_or_hostile(st.sampled_from(["always", "working_hours"])),
        "timezone": valid_or_hostile(st.sampled_from(["UTC", "Europe/Stockholm", "Asia/Tokyo"])),
        "working_hours": valid_or_hostile(
            st.dictionaries(
                st.one_of(st.sampled_from(WEEKDAYS), texts),
                valid_or_hostile(
                    st.lists(valid_or_hostile(st.lists(clock_texts, max_size=3)), max_size=3)
                ),
                max_size=3,
            )
        ),
        "holidays": valid_or_hostile(
            st.lists(
                st.fixed_dictionaries(
                    {"date": valid_or_hostile(st.dates().map(str))},
                    optional={
                        "name": texts,
                        "recurring": valid_or_hostile(st.booleans()),
                        "observed": hostile,
                    },
                ),
                max_size=3,
            )
        ),
        "pause_statuses": valid_or_hostile(
            st.lists(
                valid_or_hostile(st.sampled_from(["support/waiting-on-customer", "support/new"])),
                max_size=3,
            )
        ),
        "goals_enabled": valid_or_hostile(st.booleans()),
        "scope": valid_or_hostile(st.sampled_from(["all", "property"])),
        "property": valid_or_hostile(st.sampled_from([None, *PROPERTIES])),
        "goals": valid_or_hostile(st.lists(goal_rows, max_size=3)),
        "apply_to": valid_or_hostile(st.sampled_from(["new", "new_and_open"])),
        "extra": hostile,
    },
)


def _dumps(data: Any) -> bytes:
    """JSON as a client would send it; lone surrogates become "\\udxxx" escapes."""
    return json.dumps(data).encode()


def _has_500(response: Any) -> bool:
    return response.status_code >= 500


# --- The settings document (PUT /api/sla/settings/) -----------------------------------------


@pytest.fixture
def boss_api(super_admin) -> Client:
    token = ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key())
    sla_settings_save(
        document=sla_document(WORKING_HOURS_DOCUMENT), actor=None, via=SlaSettingsChange.Via.COMMAND
    )
    return Client(headers={"Authorization": f"Token {token.key}"})


def _put_settings(client: Client, body: bytes, **extra: Any) -> Any:
    before = sla_settings_document()
    audits = SlaSettingsChange.objects.count()
    response = client.put("/api/sla/settings/", body, content_type="application/json", **extra)
    assert not _has_500(response), response.content[:300]
    assert response.get("Content-Type") == "application/json"
    after = sla_settings_document()
    if response.status_code == 200 and after["version"] == before["version"]:
        assert after == before  # nothing changed: nothing saved (SPEC 2.5)
        assert SlaSettingsChange.objects.count() == audits
        assert response.json() == after
    elif response.status_code in (200, 202):
        assert after["version"] == before["version"] + 1
        assert SlaSettingsChange.objects.count() == audits + 1
        shown = {k: v for k, v in response.json().items() if k != "recompute"}
        assert shown == after
    else:
        assert response.status_code in (400, 409, 413, 415), response.status_code
        assert "errors" in response.json()
        assert after == before  # version included
        assert SlaSettingsChange.objects.count() == audits
    return response


@FUZZ
@given(document=documents)
def test_the_settings_api_refuses_bad_documents_whole(boss_api: Client, document: dict) -> None:
    if document.get("version") == "current":
        document["version"] = sla_settings_document()["version"]
    _put_settings(boss_api, _dumps(document))


RAW_BODIES = {
    "empty": b"",
    "invalid UTF-8": b"\xff\xfe{}",
    "surrogate as UTF-8 bytes": b'{"timezone": "\xed\xa0\x80"}',
    "unbalanced": b'{"applies": "always"' + b"}" * 3,
    "50,000 levels deep": b"[" * 50_000,
    "a 5,000-digit version": b'{"version": ' + b"1" * 5000 + b"}",
    "NaN and Infinity": b'{"goals_enabled": NaN, "version": Infinity}',
    "NUL escape": b'{"holidays": [{"date": "2026-12-24", "name": "\\u0000"}]}',
    "lone surrogate key": b'{"\\ud800": 1}',
    "lone surrogate value": b'{"timezone": "Europe/\\udfff"}',
    "null": b"null",
    "list": b"[]",
    "string": b'"text"',
    "number": b"1e999",
}


@pytest.mark.parametrize("name", sorted(RAW_BODIES))
def test_the_settings_api_refuses_broken_bodies(boss_api: Client, name: str) -> None:
    response = _put_settings(boss_api, RAW_BODIES[name])
    assert response.status_code == 400


@FUZZ
@given(body=st.binary(max_size=300))
def test_the_settings_api_survives_random_bytes(boss_api: Client, body: bytes) -> None:
    _put_settings(boss_api, body)


def test_a_valid_document_with_markup_in_a_holiday_name_is_saved_as_text(boss_api) -> None:
    document = sla_document(
        WORKING_HOURS_DOCUMENT, holidays=[{"date": "2026-12-24", "name": MARKUP[:100]}]
    )
    response = _put_settings(boss_api, _dumps(document))
    assert response.status_code == 200
    assert response.json()["holidays"][0]["name"] == MARKUP[:100]


UNSTORABLE = {"NUL": "a\x00b", "lone surrogate": "a\ud800b"}
# Every place of the settings document where text goes, with what the bad text replaces.
SETTINGS_TEXT_PLACES: dict[str, Callable[[dict, str], None]] = {
    "holidays.0.name": lambda d, t: d["holidays"].append({"date": "2026-12-24", "name": t}),
    "holidays.0.date": lambda d, t: d["holidays"].append({"date": t}),
    "timezone": lambda d, t: d.update(timezone=t),
    "applies": lambda d, t: d.update(applies=t),
    "working_hours.mon.0.0": lambda d, t: d["working_hours"].update(mon=[[t, "17:00"]]),
    "working_hours.<key>": lambda d, t: d["working_hours"].update({t: []}),
    "pause_statuses.0": lambda d, t: d.update(pause_statuses=[t]),
    "goals.0.value": lambda d, t: d.update(scope="property", property="team", goals=[{"value": t}]),
    "<key>": lambda d, t: d.update({t: 1}),
}


@pytest.mark.parametrize("bad", sorted(UNSTORABLE))
@pytest.mark.parametrize("place", sorted(SETTINGS_TEXT_PLACES))
def test_text_no_database_can_store_is_refused_in_the_settings(
    boss_api: Client, place: str, bad: str
) -> None:
    document = sla_document(WORKING_HOURS_DOCUMENT)
    SETTINGS_TEXT_PLACES[place](document, UNSTORABLE[bad])
    response = _put_settings(boss_api, _dumps(document))
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("text/plain", 415), ("application/x-www-form-urlencoded", 415), ("application/json", 400)],
)
def test_wrong_content_types_are_refused(boss_api: Client, content_type: str, status: int) -> None:
    response = boss_api.put("/api/sla/settings/", b"applies=always", content_type=content_type)
    assert response.status_code == status


def test_a_body_over_the_upload_limit_gets_413(boss_api: Client, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = _put_settings(boss_api, _dumps({"holidays": [], "x": "y" * 2000}))
    assert response.status_code == 413


# --- The settings page (POST /settings/sla/) -----------------------------------------------

FORM_FIELDS = [
    "version",
    "applies",
    "timezone",
    "pause_statuses",
    "goals_enabled",
    "scope",
    "property",
    "apply_to",
    "period-TOTAL_FORMS",
    "period-INITIAL_FORMS",
    "period-0-day",
    "period-0-start",
    "period-0-end",
    "period-7-day",
    "period-7-start",
    "holiday-TOTAL_FORMS",
    "holiday-0-date",
    "holiday-0-name",
    "holiday-0-recurring",
    "goal-all-value",
    "goal-all-enabled",
    "goal-all-first_response_minutes_number",
    "goal-all-first_response_minutes_unit",
    "goal-all-close_due_soon_minutes_number",
    "goals-priority-TOTAL_FORMS",
    "goals-priority-0-value",
    "goals-priority-0-enabled",
    "goals-priority-0-close_minutes_number",
    "goals-priority-0-close_minutes_unit",
    "goals-team-TOTAL_FORMS",
    "goals-team-0-value",
]
form_values = st.one_of(
    st.sampled_from(
        [
            MARKUP,
            "<5,000 nines>",
            "-1",
            "1e9",
            "1.5",
            "0x10",
            "½",
            "99999999999999999999",
            "days",
            "hours",
            "property",
            "all",
            "working_hours",
            "new_and_open",
            "team",
            "billing",
            "urgent",
            "mon",
            "funday",
            "25:00",
            "2026-02-30",
            "2026-12-24",
            "Mars/Olympus_Mons",
            "support/closed",
            "on",
            "",
        ]
    ).map(_expand),
    st.text(max_size=15),
)


PAGE_FUZZ = settings(FUZZ, max_examples=15)  # each example renders the whole settings page


@pytest.fixture
def page_client(super_admin) -> Client:
    sla_settings_save(
        document=sla_document(WORKING_HOURS_DOCUMENT), actor=None, via=SlaSettingsChange.Via.COMMAND
    )
    Team.objects.create(name="Billing", slug="billing")
    client = Client()
    client.force_login(super_admin)
    return client


@pytest.fixture
def saved_page_form(page_client: Client) -> dict[str, list[str]]:
    """What submitting the settings page unchanged posts (its version is set at each use)."""
    html = page_client.get("/settings/sla/").content.decode()
    return page_form(html, action="/settings/sla/").data()


def _post_settings_page(client: Client, data: Any, **extra: Any) -> Any:
    before = sla_settings_document()
    audits = SlaSettingsChange.objects.count()
    response = client.post("/settings/sla/", data, **extra)
    assert not _has_500(response), response.content[-500:]
    if response.status_code == 302 and sla_settings_document()["version"] == before["version"]:
        assert sla_settings_document() == before  # nothing changed: nothing saved (SPEC 2.5)
        assert SlaSettingsChange.objects.count() == audits
    elif response.status_code == 302:
        assert sla_settings_document()["version"] == before["version"] + 1
        assert SlaSettingsChange.objects.count() == audits + 1
    else:
        assert response.status_code in (200, 400), response.status_code
        assert sla_settings_document() == before
        assert SlaSettingsChange.objects.count() == audits
    return response


@PAGE_FUZZ
@given(
    changes=st.dictionaries(
        st.sampled_from(FORM_FIELDS), st.lists(form_values, min_size=1, max_size=3), max_size=6
    )
)
def test_the_settings_page_never_fails_or_saves_half(
    page_client: Client, saved_page_form: dict, changes: dict
) -> None:
    data = {**saved_page_form, "version": [str(sla_settings_document()["version"])], **changes}
    response = _post_settings_page(page_client, data)
    if response.status_code == 200 and MARKUP in changes.get("holiday-0-name", []):
        assert MARKUP not in response.content.decode()


@settings(PAGE_FUZZ, max_examples=8)
@given(body=st.binary(max_size=200))
def test_the_settings_page_survives_raw_form_bodies(page_client: Client, body: bytes) -> None:
    _post_settings_page(page_client, body, content_type="application/x-www-form-urlencoded")


# --- The ticket API ---------------------------------------------------------------------------


@pytest.fixture
def channel(agent) -> Client:
    Team.objects.create(name="Billing", slug="billing")
    token = ApiToken.objects.create(user=agent, key=ApiToken.generate_key())
    return Client(headers={"Authorization": f"Token {token.key}"})


ticket_fields = st.fixed_dictionaries(
    {},
    optional={
        "subject": valid_or_hostile(st.sampled_from(["Printer on fire", " Hi ", MARKUP])),
        "body": valid_or_hostile(st.sampled_from(["It burns.", MARKUP])),
        "requester_email": valid_or_hostile(
            st.sampled_from(["ana@example.com", "bad@", "a@b", "<b>@example.com"])
        ),
        "priority": valid_or_hostile(st.sampled_from(["low", "urgent", "", None])),
        "team": valid_or_hostile(st.sampled_from(["billing", "nope", None])),
        "source": valid_or_hostile(st.sampled_from(["chat", "api", "fax"])),
        "pipeline": valid_or_hostile(st.sampled_from(["support", "nope"])),
        "owner": hostile,
    },
)


@FUZZ
@given(
    data=ticket_fields,
    idempotency_key=st.one_of(st.none(), st.sampled_from(["k1", "x" * 300, "<k>"])),
)
def test_the_ticket_api_creates_a_ticket_or_nothing(
    channel: Client, data: dict, idempotency_key: str | None
) -> None:
    tickets, messages = Ticket.objects.count(), Message.objects.count()
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    response = channel.post(
        "/api/tickets/", _dumps(data), content_type="application/json", headers=headers
    )
    assert not _has_500(response), response.content[:300]
    if response.status_code == 201:
        replayed = response.get("Idempotent-Replayed") == "true"
        assert Ticket.objects.count() == tickets + (0 if replayed else 1)
        if not replayed:
            created = response.json()
            assert created["subject"] == data["subject"].strip()
            assert Message.objects.get(ticket_id=created["id"]).body == data["body"].strip()
    else:
        assert response.status_code == 400, response.status_code
        assert "errors" in response.json()
        assert (Ticket.objects.count(), Message.objects.count()) == (tickets, messages)


@pytest.fixture
def open_ticket(channel: Client) -> dict:
    response = channel.post(
        "/api/tickets/",
        _dumps({"subject": "Printer", "body": "On fire", "requester_email": "a@example.com"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    return response.json()


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "priority": valid_or_hostile(st.sampled_from(["high", "", None])),
            "team": valid_or_hostile(st.sampled_from(["billing", None, "nope"])),
            "source": valid_or_hostile(st.sampled_from(["phone", ""])),
            "pipeline": valid_or_hostile(st.sampled_from(["support", None])),
            "status": valid_or_hostile(st.sampled_from(["new", "closed", "waiting-on-us"])),
            "owner": valid_or_hostile(st.sampled_from(["agent", None, "nobody"])),
            "subject": hostile,
        },
    )
)
def test_the_ticket_api_patches_whole_or_not_at_all(
    channel: Client, open_ticket: dict, data: dict
) -> None:
    url = f"/api/tickets/{open_ticket['id']}/"
    before = channel.get(url).json()
    response = channel.patch(url, _dumps(data), content_type="application/json")
    assert not _has_500(response), response.content[:300]
    if response.status_code != 200:
        assert response.status_code == 400, response.status_code
        assert channel.get(url).json() == before


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "body": valid_or_hostile(st.sampled_from(["Any news?", MARKUP])),
            "author": valid_or_hostile(st.sampled_from(["customer", "agent", "system"])),
            "internal": valid_or_hostile(st.booleans()),
        },
    )
)
def test_the_ticket_api_adds_a_message_or_nothing(
    channel: Client, open_ticket: dict, data: dict
) -> None:
    messages = Message.objects.filter(ticket_id=open_ticket["id"]).count()
    url = f"/api/tickets/{open_ticket['id']}/messages/"
    response = channel.post(url, _dumps(data), content_type="application/json")
    assert not _has_500(response), response.content[:300]
    count = Message.objects.filter(ticket_id=open_ticket["id"]).count()
    if response.status_code == 201:
        assert count == messages + 1
    else:
        assert response.status_code == 400, response.status_code
        assert count == messages


@FUZZ
@given(
    path=st.sampled_from(["/api/tickets/", "/api/tickets/{id}/", "/api/tickets/{id}/messages/"]),
    method=st.sampled_from(["post", "patch", "put", "delete"]),
    body=st.one_of(
        st.binary(max_size=200), st.sampled_from(sorted(RAW_BODIES)).map(RAW_BODIES.get)
    ),
)
def test_the_ticket_api_survives_raw_bodies(
    channel: Client, open_ticket: dict, path: str, method: str, body: bytes
) -> None:
    tickets, messages = Ticket.objects.count(), Message.objects.count()
    url = path.replace("{id}", str(open_ticket["id"]))
    response = getattr(channel, method)(url, body, content_type="application/json")
    assert not _has_500(response), response.content[:300]
    assert response.status_code in (400, 405), response.status_code
    assert (Ticket.objects.count(), Message.objects.count()) == (tickets, messages)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["sla_status", "team", "priority", "stage", "owner", "q", "page", "page_size"]
        ),
        st.one_of(
            st.sampled_from(["\x00", "<5,000 nines>", "-1", "0", MARKUP, "me", "none"]).map(
                _expand
            ),
            texts,
        ),
        max_size=4,
    )
)
def test_the_ticket_list_survives_any_query(channel: Client, params: dict) -> None:
    query = _form_body({k: v.encode("utf-8", "surrogatepass") for k, v in params.items()})
    response = channel.get("/api/tickets/?" + query.decode())
    assert not _has_500(response), response.content[:300]
    assert response.status_code in (200, 400, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/tickets/99999999999999999999999999/",
        "/api/sla/recomputes/99999999999999999999999999/",
        "/tickets/99999999999999999999999999/",
        "/tickets/99999999999999999999999999/live/",
        "/settings/sla/recomputes/99999999999999999999999999/",
    ],
)
def test_ids_beyond_any_column_are_404(super_admin, path: str) -> None:
    client = Client()
    client.force_login(super_admin)
    assert client.get(path).status_code == 404


def test_a_message_to_an_id_beyond_any_column_is_404(channel: Client) -> None:
    response = channel.post(
        "/api/tickets/99999999999999999999999999/messages/",
        _dumps({"body": "Hi"}),
        content_type="application/json",
    )
    assert response.status_code == 404


TICKET_TEXT_FIELDS = ("subject", "body", "requester_email", "priority", "team", "source")


@pytest.mark.parametrize("bad", sorted(UNSTORABLE))
@pytest.mark.parametrize("field", TICKET_TEXT_FIELDS + ("pipeline", "<key>"))
def test_text_no_database_can_store_is_refused_by_the_ticket_api(
    channel: Client, open_ticket: dict, field: str, bad: str
) -> None:
    tickets, messages = Ticket.objects.count(), Message.objects.count()
    text = UNSTORABLE[bad]
    data = {"subject": "Printer", "body": "On fire", "requester_email": "a@example.com"}
    data[text if field == "<key>" else field] = text
    created = channel.post("/api/tickets/", _dumps(data), content_type="application/json")
    assert created.status_code == 400, created.content
    patch_field = {"subject": "status", "body": "owner", "requester_email": "pipeline"}.get(
        field, field
    )
    url = f"/api/tickets/{open_ticket['id']}/"
    before = channel.get(url).json()
    patched = channel.patch(url, _dumps({patch_field: text}), content_type="application/json")
    assert patched.status_code == 400, patched.content
    assert channel.get(url).json() == before
    message = channel.post(
        f"{url}messages/",
        _dumps({"body": text, "author": "customer"}),
        content_type="application/json",
    )
    assert message.status_code == 400
    assert (Ticket.objects.count(), Message.objects.count()) == (tickets, messages)


# --- The public request form ------------------------------------------------------------------

request_values = st.one_of(
    st.sampled_from([MARKUP, "ana@example.com", "Printer on fire", "<60,000 As>", "\x00", ""]).map(
        _expand
    ),
    st.text(max_size=20),
)


def _form_body(fields: dict[str, bytes]) -> bytes:
    return b"&".join(
        quote_from_bytes(key.encode()).encode() + b"=" + quote_from_bytes(value).encode()
        for key, value in fields.items()
    )


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["requester_email", "subject", "body", "website", "extra"]),
        st.one_of(
            request_values.map(lambda text: text.encode("utf-8", "surrogatepass")),
            st.binary(max_size=30),
            st.sampled_from([b"\xed\xa0\x80", b"\xff", b"ok\x00"]),
        ),
        max_size=5,
    )
)
def test_the_request_form_opens_a_ticket_or_nothing(db, fields: dict[str, bytes]) -> None:
    tickets = Ticket.objects.count()
    client = Client()
    response = client.post(
        "/request/", _form_body(fields), content_type="application/x-www-form-urlencoded"
    )
    assert not _has_500(response)
    if response.status_code == 302:
        assert Ticket.objects.count() == tickets + 1
        ticket = Ticket.objects.order_by("-id").first()
        # Subjects are single-line text (slaproject/single_line.py): controls are removed.
        assert ticket.subject == single_line(fields["subject"].decode("utf-8", "replace"))
    else:
        assert response.status_code == 200
        assert Ticket.objects.count() == tickets
        assert MARKUP not in response.content.decode()


# --- Markup is shown escaped everywhere --------------------------------------------------------


def test_markup_is_shown_escaped_on_every_page_that_displays_it(
    channel: Client, agent, super_admin
) -> None:
    """A subject, a message, a team, a pipeline stage and a holiday name full of markup: every
    page that shows them shows the text, escaped, and never the markup itself."""
    evil = EVIL
    team = Team.objects.create(name=evil, slug="evil")
    pipeline = Pipeline.objects.get(slug="support")
    Stage.objects.filter(pipeline=pipeline, slug="new").update(name=evil)
    created = channel.post(
        "/api/tickets/",
        _dumps({"subject": evil, "body": evil, "requester_email": "a@example.com", "team": "evil"}),
        content_type="application/json",
    )
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    sla_settings_save(
        document=sla_document(
            WORKING_HOURS_DOCUMENT, holidays=[{"date": "2026-12-24", "name": evil}]
        ),
        actor=super_admin,
        via=SlaSettingsChange.Via.PAGE,
    )
    agent_client, boss = Client(), Client()
    agent_client.force_login(agent)
    boss.force_login(super_admin)
    pages = {
        "queue": (agent_client, "/tickets/"),
        "queue rows": (agent_client, "/tickets/rows/"),
        "queue filtered by the team": (agent_client, f"/tickets/?team={team.slug}&stage=any"),
        "ticket page": (agent_client, f"/tickets/{ticket_id}/"),
        "admin changelist": (boss, "/admin/tickets/ticket/"),
        "admin ticket": (boss, f"/admin/tickets/ticket/{ticket_id}/change/"),
        "admin teams": (boss, "/admin/settings_app/team/"),
        "settings page": (boss, "/settings/sla/"),
        "audit log": (boss, "/settings/sla/audit/"),
        "admin audit entry": (
            boss,
            f"/admin/settings_app/slasettingschange/{SlaSettingsChange.objects.first().pk}/change/",
        ),
    }
    for name, (client, url) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, f"{name}: raw markup"
        assert escape(evil) in html, f"{name} does not show the text at all"
    api = channel.get(f"/api/tickets/{ticket_id}/")
    assert api["Content-Type"] == "application/json"
    assert api["X-Content-Type-Options"] == "nosniff"
    assert api.json()["subject"] == evil


# --- Hostile addresses and query strings on every kind of page ---------------------------------

HOSTILE_REQUESTS = [
    ("get", "/tickets/?q=%00&team=%00&owner=%00&stage=%00&sla_status=%00&per_page=%00"),
    ("get", "/tickets/?page=" + "9" * 5000),
    ("get", "/tickets/rows/?q=%ED%A0%80&page=-1"),
    ("get", "/tickets/99999999999999999999999/"),
    ("get", "/api/tickets/?page_size=" + "9" * 5000),
    ("get", "/api/tickets/?page=" + "9" * 30),
    ("get", "/api/tickets/?team=%00&stage=%00&owner=%00&q=%00"),
    ("get", "/settings/sla/?recompute=99999999999999999999999"),
    ("get", "/settings/sla/audit/?page=" + "9" * 5000),
    ("get", "/settings/sla/hours-summary/?period-TOTAL_FORMS=9999&period-0-start=%00"),
    ("get", "/reports/sla/?team=%00&period=%00&from=%00&to=%ED%A0%80"),
    ("get", "/reports/sla/export.csv?from=0000-00-00&to=9999-99-99"),
    ("get", "/admin/tickets/ticket/?q=%00&sla_status=%00"),
    ("get", "/admin/tickets/ticket/%00/change/"),
    ("get", "/admin/tickets/ticket/99999999999999999999999/change/"),
    ("post", "/tickets/{id}/reply/", b"body=%00&visibility=public"),
    ("post", "/tickets/{id}/properties/", b"stage=" + b"9" * 5000 + b"&source=%00&owner=%00"),
    ("post", "/tickets/profile/", b"timezone=%00&email_notifications=%ED%A0%80"),
    ("post", "/request/", b"subject=%ED%A0%80&body=%00&requester_email=a%40b.com"),
]


@pytest.mark.parametrize("request_index", range(len(HOSTILE_REQUESTS)))
def test_hostile_addresses_and_forms_never_fail(
    channel: Client, open_ticket: dict, super_admin, request_index: int
) -> None:
    method, path, *body = HOSTILE_REQUESTS[request_index]
    client = Client(raise_request_exception=False)
    client.force_login(super_admin)
    tickets = Ticket.objects.count()
    path = path.replace("{id}", str(open_ticket["id"]))
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, body[0], content_type="application/x-www-form-urlencoded")
    assert not _has_500(response), (path, response.status_code)
    assert Ticket.objects.count() == tickets
