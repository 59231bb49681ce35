"""Faults (issue "Hardening", part 4): the broker goes away, a worker dies in the middle of a
recompute, two beat schedulers run at once, the database fails in the middle of a settings save.

Run against the real services: CI sets DATABASE_URL (PostgreSQL) and REDIS_URL. The Redis test
starts a private ``redis-server`` on a free port and stops it; the machine's shared one is never
touched.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from settings_app.models import SlaGoal, SlaSettingsChange
from settings_app.selectors import sla_settings_document
from settings_app.services import SAVE_FAILED_MESSAGE, sla_settings_save
from slaproject.celery import app
from tests.factories import AgentFactory, TicketFactory, goal_row, sla_document
from tests.hardening.conftest import PrivateRedis
from tests.hardening.pages import page_form
from tests.settings_app.pages.helpers import form_data, text_of
from tests.settings_app.test_admin import CHANGE_URL as ADMIN_CHANGE_URL
from tests.settings_app.test_admin import change_form as admin_change_form
from tests.tickets.outbound.mailserver import deliver_queued
from tickets.api_auth.models import ApiToken
from tickets.models import SlaClock, SlaEvent, SlaRecompute, Ticket
from tickets.outbound.models import OutboundEmail
from tickets.recompute import sla_recompute_chunk
from tickets.services import ticket_message_add, ticket_update
from tickets.sweep import sla_sweep, sla_sweep_and_notify
from tickets.tasks import sla_sweep_task

User = get_user_model()
MINUTE = datetime.timedelta(minutes=1)
# 24/7 in UTC: first response 60 min (due soon 15 before), next response 120/30, close 1 day.
ALWAYS = sla_document(
    goals=[goal_row(first_response=(60, 15), next_response=(120, 30), close=(1440, 240))]
)


def _save(document: dict[str, Any], *, apply_to: str = "new") -> Any:
    return sla_settings_save(
        document=document, actor=None, via=SlaSettingsChange.Via.COMMAND, apply_to=apply_to
    )


def _due_transitions(*, now: datetime.datetime) -> Counter:
    """(clock id, kind, at) of every Due soon / Overdue transition that is due by ``now``."""
    due: Counter = Counter()
    for clock in SlaClock.objects.all():
        end = clock.completed_at or clock.paused_at or now
        if clock.due_soon_at is not None and clock.due_soon_at <= end:
            due[(clock.pk, "due_soon", clock.due_soon_at)] += 1
        if clock.due_at < end:
            due[(clock.pk, "overdue", clock.due_at)] += 1
    return due


def _recorded_transitions() -> Counter:
    return Counter(
        SlaEvent.objects.filter(kind__in=["due_soon", "overdue"]).values_list(
            "clock_id", "kind", "at"
        )
    )


# --- Redis goes away ---------------------------------------------------------------------------


def _reset_connections() -> None:
    """Forget cached broker connections and the result backend (as Celery does after a fork),
    so that a new configuration takes effect."""
    app._after_fork()  # noqa: SLF001
    app._backend_cache = None  # noqa: SLF001
    app._local.__dict__.pop("backend", None)  # noqa: SLF001
    # The queue set and router are built from the configuration on first use, then cached:
    # forget them so that this test's queue (and afterwards the next user's) takes effect.
    for cached in ("queues", "router"):
        app.amqp.__dict__.pop(cached, None)


@pytest.fixture
def celery_on_private_redis(private_redis: PrivateRedis) -> Iterator[Any]:
    keys = ("broker_url", "result_backend", "task_default_queue", "task_ignore_result")
    keys += ("broker_transport_options", "task_always_eager")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(
        broker_url=private_redis.url,
        result_backend="cache+memory://",
        task_default_queue=f"hardening-{uuid.uuid4().hex[:8]}",
        task_ignore_result=True,
        broker_transport_options={},
        task_always_eager=False,
    )
    _reset_connections()
    yield app
    app.conf.update(saved)
    _reset_connections()


def _queue_badges(html: str) -> dict[int, dict[str, str]]:
    """ticket id -> clock kind -> the status its badge shows, from the queue's rows."""
    rows: dict[int, dict[str, str]] = {}
    for ticket_id, row in re.findall(r'<tr data-ticket="(\d+)">(.*?)</tr>', html, re.DOTALL):
        cells = re.findall(
            r'data-clock="(\w+)"><span class="badge[^"]*" title="[^:"]*: ([^"]+)"', row
        )
        rows[int(ticket_id)] = dict(cells)
    return rows


def _is_sla_alert(message: Any) -> bool:
    return message.subject.startswith(("[Overdue]", "[Due soon]"))


def _wait_for(condition: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_app_serves_and_the_sweep_catches_up_after(
    celery_on_private_redis: Any, private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    now = timezone.now()
    outage = now - 10 * MINUTE  # Redis is down from here until the test brings it back
    _save(ALWAYS)
    # (created with its password saved: the session of force_login checks it)
    owner = User.objects.create_user("owner", "owner@example.com", "x", is_staff=True)
    boss = User.objects.create_user(
        "boss", "boss@example.com", "x", is_staff=True, is_superuser=True
    )
    # First-response clocks (60 min, due soon 15 min before) as seen at the outage and now:
    late = TicketFactory(now=outage - 90 * MINUTE, owner=owner)  # overdue, overdue
    soon = TicketFactory(now=outage - 55 * MINUTE, owner=owner)  # due soon, overdue
    fresh = TicketFactory(now=outage - 5 * MINUTE, owner=owner)  # active, active
    assert set(SlaClock.objects.values_list("status", flat=True)) == {"active"}  # never swept

    private_redis.stop()
    with time_machine.travel(outage, tick=True):
        # Pages and the API serve, with statuses derived from the stored moments.
        agent = Client()
        agent.force_login(owner)
        queue = agent.get("/tickets/")
        assert queue.status_code == 200
        badges = _queue_badges(queue.content.decode())
        assert badges[late.pk]["first_response"] == "Overdue"
        assert badges[soon.pk]["first_response"] == "Due soon"
        assert badges[fresh.pk]["first_response"] == "Active"
        overdue_only = agent.get("/tickets/", {"sla_status": "overdue"})
        assert set(_queue_badges(overdue_only.content.decode())) == {late.pk}
        token = ApiToken.objects.create(user=boss, key=ApiToken.generate_key())
        api = Client(headers={"Authorization": f"Token {token.key}"})
        shown = api.get(f"/api/tickets/{soon.pk}/")
        assert shown.status_code == 200
        assert shown.json()["sla"]["first_response"]["status"] == "due_soon"
        assert agent.get(f"/tickets/{late.pk}/").status_code == 200

        # A settings save for new and open tickets saves; the lost enqueue is only logged.
        boss_page = Client()
        boss_page.force_login(boss)
        html = boss_page.get("/settings/sla/").content.decode()
        data = page_form(html, action="/settings/sla/").data()
        data["apply_to"] = ["new_and_open"]
        data["timezone"] = ["Europe/Helsinki"]  # a change: a save without one saves nothing
        with caplog.at_level(logging.ERROR, logger="tickets.recompute"):
            saved_by_page = boss_page.post("/settings/sla/", data)
            document = {**sla_settings_document(), "timezone": "Europe/Stockholm"}
            saved_by_api = api.put(
                "/api/sla/settings/",
                json.dumps({**document, "apply_to": "new_and_open"}),
                content_type="application/json",
            )
        assert saved_by_page.status_code == 302
        assert saved_by_api.status_code == 202, saved_by_api.content
        assert sla_settings_document()["version"] == document["version"] + 1
        recompute = SlaRecompute.objects.get(pk=saved_by_api.json()["recompute"]["id"])
        assert recompute.state == SlaRecompute.State.QUEUED
        assert recompute.tickets == 3
        failures = [r for r in caplog.records if "Could not queue recompute" in r.getMessage()]
        assert len(failures) >= 2  # one per save (at least one task each)

    # Redis is back: beat's next sweep persists what was missed and re-queues the recompute.
    private_redis.start()
    mail.outbox.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        sla_sweep_task.delay()

        def caught_up() -> bool:
            recompute.refresh_from_db()
            alerts = OutboundEmail.objects.filter(kind=OutboundEmail.Kind.SLA_ALERT)
            return (
                recompute.state == SlaRecompute.State.DONE
                and _recorded_transitions() == _due_transitions(now=timezone.now())
                # The SLA emails the sweep queued were sent by their own tasks.
                and alerts.count() == 2
                and not alerts.exclude(state=OutboundEmail.State.SENT).exists()
            )

        assert _wait_for(caught_up), (recompute.state, _recorded_transitions())
    assert recompute.done == recompute.tickets == 3
    swept_at = timezone.now()
    due = _due_transitions(now=swept_at)
    assert {kind for _, kind, _ in due} == {"due_soon", "overdue"}
    assert _recorded_transitions() == due  # each exactly once
    late_fr = SlaClock.objects.get(ticket=late, kind="first_response")
    assert late_fr.status == "overdue" and late_fr.settings_version == recompute.settings_version
    # One email per notifying transition: the overdue of each late clock (their due soon was
    # passed in the same sweep, so it notifies nobody).
    subjects = sorted(m.subject.split(" — ")[0] for m in mail.outbox if _is_sla_alert(m))
    assert subjects == sorted(f"[Overdue] #{t.pk} {t.subject}" for t in (late, soon))
    # Running the sweep again changes nothing.
    again = sla_sweep_and_notify(now=swept_at)
    assert again["transitions"] == {} and again["emails"] == 0
    assert _recorded_transitions() == due


# --- A worker dies in the middle of a recompute ------------------------------------------------


class WorkerKilled(Exception):
    """Stands for the worker process dying: the chunk's transaction never commits."""


def _count_writes(counter: list[int], *, die_at: int | None = None) -> Callable:
    """A database execute wrapper that counts INSERT/UPDATE/DELETE statements, and raises
    ``WorkerKilled`` in place of write number ``die_at`` (0-based)."""

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            if die_at is not None and counter[0] == die_at:
                raise WorkerKilled(f"killed before write {die_at}: {sql[:60]}")
            counter[0] += 1
        return execute(sql, params, many, context)

    return wrapper


def _state() -> dict[str, Any]:
    """Everything a recompute may write, without the ids that differ from run to run."""
    clocks = sorted(
        SlaClock.objects.values_list(
            "ticket_id",
            "kind",
            "cycle",
            "goal_minutes",
            "due_soon_minutes",
            "settings_version",
            "started_at",
            "due_at",
            "due_soon_at",
            "completed_at",
            "completed_by",
            "paused_at",
            "status",
            "next_check_at",
        )
    )
    events = sorted(
        (e.ticket_id, e.clock_kind, e.cycle, e.kind, e.at, json.dumps(e.detail, sort_keys=True))
        for e in SlaEvent.objects.all()
    )
    tickets = sorted(
        (t.pk, t.sla_goal_value, t.sla_settings_version, t.sla_due_at, t.paused_since)
        for t in Ticket.objects.all()
    )
    progress = list(SlaRecompute.objects.order_by("id").values_list("state", "done"))
    return {"clocks": clocks, "events": events, "tickets": tickets, "progress": progress}


class _Rollback(Exception):
    pass


BY_PRIORITY_V1 = sla_document(
    scope="property",
    property="priority",
    pause_statuses=["support/waiting-on-customer"],
    goals=[
        goal_row("urgent", first_response=(30, 10), next_response=(60, 15), close=(240, 60)),
        goal_row("high", first_response=(60, 15), next_response=(120, 30), close=(480, 60)),
        goal_row("low", enabled=False),
    ],
)
# Every goal moves, and "low" gains goals: both the set-based path and the general one run.
BY_PRIORITY_V2 = sla_document(
    BY_PRIORITY_V1,
    goals=[
        goal_row("urgent", first_response=(20, 5), next_response=(45, 10), close=(180, 30)),
        goal_row("high", first_response=(90, 20), next_response=(100, 20), close=(300, 60)),
        goal_row("low", first_response=(40, 10), close=(600, 60)),
    ],
)


def test_a_worker_killed_mid_chunk_leaves_nothing_and_a_rerun_matches_a_clean_run(db) -> None:
    start = timezone.now() - datetime.timedelta(hours=3)
    _save(BY_PRIORITY_V1)
    agent = AgentFactory()
    tickets = []
    for index, priority in enumerate(["urgent", "high", "low"] * 3):
        tickets.append(TicketFactory(now=start + index * MINUTE, priority=priority))
    # A replied ticket with a next-response cycle, a paused one and a closed one.
    replied = tickets[1]
    ticket_message_add(
        ticket_id=replied.pk,
        body="On it",
        author_kind="agent",
        author=agent,
        now=start + 30 * MINUTE,
    )
    ticket_message_add(
        ticket_id=replied.pk, body="Still broken", author_kind="customer", now=start + 40 * MINUTE
    )
    waiting = replied.pipeline.stages.get(slug="waiting-on-customer")
    ticket_update(ticket_id=tickets[4].pk, stage=waiting, now=start + 50 * MINUTE)
    closed = replied.pipeline.stages.get(slug="closed")
    ticket_update(ticket_id=tickets[7].pk, stage=closed, now=start + 60 * MINUTE)

    recompute = _save(BY_PRIORITY_V2, apply_to="new_and_open").recompute  # queued, not run
    assert recompute.tickets == 8
    now = timezone.now()

    def chunk(wrapper: Callable | None = None) -> bool:
        if wrapper is None:
            return sla_recompute_chunk(recompute_id=recompute.pk, now=now, chunk_size=3)
        with connection.execute_wrapper(wrapper):
            return sla_recompute_chunk(recompute_id=recompute.pk, now=now, chunk_size=3)

    # A clean run, rolled back: its writes per chunk, and the state after each chunk.
    writes: list[int] = []
    clean_states: list[dict[str, Any]] = []
    with pytest.raises(_Rollback), transaction.atomic():
        more = True
        while more:
            counter = [0]
            more = chunk(_count_writes(counter))
            writes.append(counter[0])
            clean_states.append(_state())
        raise _Rollback
    assert len(writes) >= 3, writes  # 8 open tickets in chunks of 3
    assert writes[1] >= 2, writes
    before = _state()
    assert before != clean_states[-1]  # the recompute changes something

    # The real run: the second chunk dies half-way through its writes.
    assert chunk() is True
    assert _state() == clean_states[0]
    with pytest.raises(WorkerKilled):
        chunk(_count_writes([0], die_at=writes[1] // 2))
    assert _state() == clean_states[0]  # nothing of the killed chunk was kept

    # The task is delivered again (acks_late): the run completes as the clean one did.
    while chunk():
        pass
    final = _state()
    assert final == clean_states[-1]
    assert final["progress"][-1] == (SlaRecompute.State.DONE, 8)
    kinds = Counter((e[0], e[1], e[2], e[3], e[4]) for e in final["events"])
    assert max(kinds.values()) == 1  # no event recorded twice
    # And running it once more changes nothing.
    assert chunk() is False
    assert _state() == final


# --- Two beat schedulers by mistake ------------------------------------------------------------


def _in_threads(count: int, work: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except BaseException as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(results) == count
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("batches", ["beat job", "small batches"])
def test_two_beat_schedulers_record_and_mail_each_transition_once(batches: str) -> None:
    _save(ALWAYS)
    owner = AgentFactory(email="owner@example.com")
    created = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
    tickets = [TicketFactory(now=created, owner=owner) for _ in range(30)]

    def sweep(now: datetime.datetime) -> Callable[[], Any]:
        if batches == "beat job":
            return lambda: sla_sweep_and_notify(now=now)

        def small() -> Any:
            from tickets.notifications import sla_notifications_send

            sla_sweep(now=now, batch_size=4)
            return sla_notifications_send(now=now, batch_size=3)

        return small

    mail.outbox.clear()
    first_due_soon = created + 50 * MINUTE  # first response: due soon at 08:45, due at 09:00
    _in_threads(2, sweep(first_due_soon))
    assert _recorded_transitions() == _due_transitions(now=first_due_soon)
    deliver_queued(kinds=(OutboundEmail.Kind.SLA_ALERT,))  # the emails' own tasks
    assert len(mail.outbox) == 30
    overdue = created + 70 * MINUTE
    _in_threads(3, sweep(overdue))
    due = _due_transitions(now=overdue)
    assert len(due) == 60 and _recorded_transitions() == due
    deliver_queued(kinds=(OutboundEmail.Kind.SLA_ALERT,))
    subjects = Counter(message.subject for message in mail.outbox)
    assert len(mail.outbox) == 60 and max(subjects.values()) == 1
    sent = Counter(
        re.match(r"\[(Due soon|Overdue)\] #(\d+) ", m.subject).groups() for m in mail.outbox
    )
    assert sent == Counter(
        {(kind, str(t.pk)): 1 for t in tickets for kind in ("Due soon", "Overdue")}
    )
    assert not SlaEvent.objects.filter(should_notify=True, notified_at__isnull=True).exists()


# --- The database fails in the middle of a settings save --------------------------------------


def _fail_like_a_database(*args: Any, **kwargs: Any) -> None:
    """A real database error (the statement fails in the database itself)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM hardening_no_such_table")


@pytest.fixture
def saved_settings(db) -> dict[str, Any]:
    _save(sla_document(holidays=[{"date": "2026-12-24", "name": "Christmas Eve"}]))
    return sla_settings_document()


def _break_goals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SlaGoal.objects, "bulk_create", _fail_like_a_database)


def _break_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    create = SlaSettingsChange.objects.create

    def twice(**kwargs: Any) -> SlaSettingsChange:
        first = create(**kwargs)
        return create(pk=first.pk, **kwargs)  # a real IntegrityError: the key exists

    monkeypatch.setattr(SlaSettingsChange.objects, "create", twice)


def _break_references(monkeypatch: pytest.MonkeyPatch) -> None:
    # Validation reads the teams, stages and pipelines before anything is written: on
    # PostgreSQL a failed read there leaves the caller's transaction (the admin's) aborted
    # unless the service has its own savepoint around it.
    monkeypatch.setattr("settings_app.services.reference_keys", _fail_like_a_database)


BREAKS = {
    "goals fail to insert": _break_goals,
    "the audit entry fails": _break_audit,
    "the references cannot be read": _break_references,
}
NEW_DOCUMENT = sla_document(
    timezone="Europe/Stockholm",
    holidays=[{"date": "2026-12-31", "name": "New Year's Eve"}],
    goals=[goal_row(first_response=(30, 5), close=(600, 60))],
)


def _nothing_saved(before: dict[str, Any], audits: int, recomputes: int) -> None:
    assert sla_settings_document() == before
    assert SlaSettingsChange.objects.count() == audits
    assert SlaRecompute.objects.count() == recomputes


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_database_error_mid_save_keeps_nothing_and_the_api_answers_503(
    saved_settings: dict[str, Any],
    super_admin,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    TicketFactory()  # an open ticket, so "new_and_open" would create a recompute
    audits, recomputes = SlaSettingsChange.objects.count(), SlaRecompute.objects.count()
    token = ApiToken.objects.create(user=super_admin, key=ApiToken.generate_key())
    api = Client(headers={"Authorization": f"Token {token.key}"}, raise_request_exception=False)
    body = json.dumps({**NEW_DOCUMENT, "apply_to": "new_and_open"})
    with monkeypatch.context() as patch:
        BREAKS[name](patch)
        response = api.put("/api/sla/settings/", body, content_type="application/json")
    assert response.status_code == 503
    assert response.json() == {"errors": {"": [SAVE_FAILED_MESSAGE]}}
    _nothing_saved(saved_settings, audits, recomputes)
    # The connection is fine afterwards: the same save goes through.
    again = api.put("/api/sla/settings/", body, content_type="application/json")
    assert again.status_code == 202
    assert sla_settings_document()["version"] == saved_settings["version"] + 1
    assert SlaSettingsChange.objects.count() == audits + 1


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_database_error_mid_save_keeps_nothing_and_the_page_says_so(
    saved_settings: dict[str, Any],
    admin_client_: Client,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    audits, recomputes = SlaSettingsChange.objects.count(), SlaRecompute.objects.count()
    html = admin_client_.get("/settings/sla/").content.decode()
    data = page_form(html, action="/settings/sla/").data()
    data["timezone"] = ["Asia/Tokyo"]
    admin_client_.raise_request_exception = False
    with monkeypatch.context() as patch:
        BREAKS[name](patch)
        response = admin_client_.post("/settings/sla/", data)
    assert response.status_code == 503
    page = response.content.decode()
    assert SAVE_FAILED_MESSAGE in page
    assert 'value="Asia/Tokyo" selected' in page  # what was typed is still there
    _nothing_saved(saved_settings, audits, recomputes)
    assert admin_client_.post("/settings/sla/", data).status_code == 302


FIELD_ERRORS_HEADING = "Nothing was saved — fix the marked fields."


def test_a_database_error_on_the_page_is_its_own_alert_not_a_field_error(
    saved_settings: dict[str, Any], admin_client_: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = admin_client_.get("/settings/sla/").content.decode()
    data = page_form(html, action="/settings/sla/").data()
    admin_client_.raise_request_exception = False
    with monkeypatch.context() as patch:
        _break_goals(patch)
        failed = admin_client_.post("/settings/sla/", data).content.decode()
    # A database error is not a field error: no "fix the marked fields", an alert of its own.
    assert FIELD_ERRORS_HEADING not in failed
    assert 'id="form-errors"' not in failed
    assert SAVE_FAILED_MESSAGE in text_of(failed, "save-failed")
    # A field error keeps its heading, and says nothing about the database.
    refused = admin_client_.post("/settings/sla/", {**data, "timezone": ["Mars/Olympus_Mons"]})
    assert refused.status_code == 200
    refused_page = refused.content.decode()
    assert FIELD_ERRORS_HEADING in text_of(refused_page, "form-errors")
    assert 'id="save-failed"' not in refused_page
    assert SAVE_FAILED_MESSAGE not in refused_page


@pytest.mark.parametrize("name", sorted(set(BREAKS) - {"the references cannot be read"}))
def test_a_database_error_mid_save_keeps_nothing_and_the_admin_says_so(
    saved_settings: dict[str, Any],
    admin_client_: Client,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
) -> None:
    audits, recomputes = SlaSettingsChange.objects.count(), SlaRecompute.objects.count()
    data = admin_change_form(admin_client_)
    data["timezone"] = ["Asia/Tokyo"]
    admin_client_.raise_request_exception = False
    with monkeypatch.context() as patch:
        BREAKS[name](patch)
        response = admin_client_.post(ADMIN_CHANGE_URL, data)
    # The form again, with what was typed and the failure in an alert of its own.
    assert response.status_code == 503, response.content.decode()[:2000]
    page = response.content.decode()
    assert SAVE_FAILED_MESSAGE in text_of(page, "save-failed")
    assert 'id="form-errors"' not in page  # not a field error
    assert form_data(page, "slasettings_form")["timezone"] == ["Asia/Tokyo"]
    assert "Saved as version" not in page
    _nothing_saved(saved_settings, audits, recomputes)
    assert not LogEntry.objects.exists()  # nor the admin's own history entry
    # The connection is fine afterwards: the same save goes through.
    data = admin_change_form(admin_client_)
    data["timezone"] = ["Asia/Tokyo"]
    assert admin_client_.post(ADMIN_CHANGE_URL, data).status_code == 302
    assert sla_settings_document()["timezone"] == "Asia/Tokyo"
    assert sla_settings_document()["version"] == saved_settings["version"] + 1
    assert SlaSettingsChange.objects.count() == audits + 1


def test_a_database_error_while_the_admin_validates_gives_the_form_back(
    saved_settings: dict[str, Any], admin_client_: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service validates the whole document (reading teams, stages and pipelines) before it
    # writes: a database error there shows the admin's form again, with what was typed.
    audits, recomputes = SlaSettingsChange.objects.count(), SlaRecompute.objects.count()
    data = admin_change_form(admin_client_)
    data["timezone"] = ["Asia/Tokyo"]
    admin_client_.raise_request_exception = False
    with monkeypatch.context() as patch:
        _break_references(patch)
        response = admin_client_.post(ADMIN_CHANGE_URL, data)
    assert response.status_code == 503, response.content.decode()[:2000]
    page = response.content.decode()
    assert SAVE_FAILED_MESSAGE in text_of(page, "save-failed")
    assert form_data(page, "slasettings_form")["timezone"] == ["Asia/Tokyo"]
    _nothing_saved(saved_settings, audits, recomputes)
    assert not LogEntry.objects.exists()
    # The connection is fine afterwards: the same save goes through.
    assert admin_client_.post(ADMIN_CHANGE_URL, data).status_code == 302
    assert sla_settings_document()["timezone"] == "Asia/Tokyo"
