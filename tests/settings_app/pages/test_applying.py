"""SPEC §2.5 on the settings page: new tickets only, or new and open tickets with a recompute
and its progress.

POSTs are built the way a browser builds them: the page is fetched, its form's fields are read
from the HTML (checked boxes, selected options, no disabled fields, no row templates), and the
test changes only what a person would change (``tests.settings_app.pages.helpers``).
"""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from settings_app.models import SlaSettingsChange
from settings_app.selectors import sla_settings_document
from tests.settings_app.pages.helpers import SLA_URL, form_data, page_html, text_of
from tickets.models import SlaRecompute
from tickets.services import ticket_create


def test_new_and_open_tickets_queues_a_recompute_with_progress(
    admin_client_: Client, configured: dict
) -> None:
    now = timezone.now()
    for number in range(3):
        ticket_create(
            subject=f"Ticket {number}", body="Hi", requester_email="c@example.com", now=now
        )
    data = form_data(page_html(admin_client_))
    data["timezone"] = ["Europe/Helsinki"]
    # Save first checks the change; only then the page asks how to apply it.
    checked = admin_client_.post(SLA_URL, {**data, "intent": ["check"]})
    assert checked.status_code == 200
    assert not SlaRecompute.objects.exists() and sla_settings_document() == configured
    dialog = text_of(checked.content.decode(), "apply-modal")
    assert "To new tickets and the 3 open tickets" in dialog
    assert "Time zone: Europe/Stockholm → Europe/Helsinki" in dialog
    data = form_data(checked.content.decode())
    assert data["apply_to"] == ["new"]  # the default
    data["apply_to"] = ["new_and_open"]

    response = admin_client_.post(SLA_URL, {**data, "intent": ["save"]})

    recompute = SlaRecompute.objects.get()
    assert recompute.settings_version == configured["version"] + 1
    assert recompute.tickets == 3
    assert response["Location"] == f"{SLA_URL}?recompute={recompute.pk}"
    assert SlaSettingsChange.objects.first().apply_to == "new_and_open"
    page = admin_client_.get(response["Location"]).content.decode()
    assert "They apply to new tickets and the 3 open tickets." in page  # the success message
    progress = text_of(page, "recompute-progress")
    if recompute.state in ("queued", "running"):
        assert f"Recomputing 3 open tickets… {recompute.done * 100 // 3} %" in progress

    # The fragment polls itself every 2 s while the work runs, and stops when it is done.
    SlaRecompute.objects.filter(pk=recompute.pk).update(state="running", done=2)
    fragment = admin_client_.get(f"/settings/sla/recomputes/{recompute.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert "Recomputing 3 open tickets… 66 %" in text_of(fragment, "recompute-progress")
    SlaRecompute.objects.filter(pk=recompute.pk).update(state="done", done=3)
    fragment = admin_client_.get(f"/settings/sla/recomputes/{recompute.pk}/").content.decode()
    assert "hx-trigger" not in fragment
    assert "Recomputed 3 open tickets" in text_of(fragment, "recompute-progress")


def test_new_tickets_only_queues_nothing(admin_client_: Client, configured: dict) -> None:
    ticket_create(subject="Open", body="Hi", requester_email="c@example.com", now=timezone.now())
    data = form_data(page_html(admin_client_))
    assert "apply_to" not in data  # the apply dialog comes only after the check
    data["timezone"] = ["Europe/Oslo"]
    checked = form_data(admin_client_.post(SLA_URL, {**data, "intent": ["check"]}).content.decode())
    assert checked["apply_to"] == ["new"]  # the default, also without JavaScript
    response = admin_client_.post(SLA_URL, {**checked, "intent": ["save"]})
    assert response["Location"] == SLA_URL
    assert sla_settings_document()["timezone"] == "Europe/Oslo"
    assert not SlaRecompute.objects.exists()


def test_a_running_recompute_is_shown_to_whoever_opens_the_page(admin_client_, db) -> None:
    SlaRecompute.objects.create(settings_version=2, tickets=1284, done=796, state="running")
    progress = text_of(page_html(admin_client_), "recompute-progress")
    assert "Recomputing 1,284 open tickets… 61 %" in progress


def test_the_apply_dialog_shows_the_dry_run_and_writes_nothing(admin_client_: Client, db) -> None:
    """SPEC §2.5: per goal, how many running clocks would be due earlier or later and turn
    Overdue or Due soon at once, for the open tickets, before anything is saved."""
    import datetime

    import time_machine

    from settings_app.services import sla_settings_save
    from tests.factories import goal_row, sla_document
    from tickets.models import SlaClock

    now = datetime.datetime(2026, 12, 3, 13, 0, tzinfo=datetime.UTC)
    with time_machine.travel(now, tick=False):
        sla_settings_save(
            document=sla_document(goals=[goal_row(first_response=(60, 15), close=(1440, None))]),
            actor=None,
            via="command",
        )
        for minutes_ago in (50, 40, 10, 1):
            ticket_create(
                subject="Hi",
                body="Hi",
                requester_email="c@example.com",
                now=now - datetime.timedelta(minutes=minutes_ago),
            )
        saved = sla_settings_document()
        clocks = sorted(SlaClock.objects.values_list("id", "due_at", "status"))
        data = form_data(page_html(admin_client_))
        data["goal-all-first_response_minutes_number"] = ["45"]
        data["goal-all-first_response_minutes_unit"] = ["minutes"]
        data["goal-all-first_response_due_soon_minutes_number"] = ["10"]
        data["goal-all-first_response_due_soon_minutes_unit"] = ["minutes"]

        checked = admin_client_.post("/settings/sla/check/", data)
        # The dialog's body comes first, with a placeholder; the dry run is asked for next.
        assert 'id="dry-run" data-pending="1"' in checked.content.decode()
        assert "What that would do now" not in checked.content.decode()
        dry_run = admin_client_.post("/settings/sla/check/", {**data, "part": ["dry_run"]})
        # Without the page's script, the page's own check shows the dry run at once.
        whole_page = admin_client_.post(SLA_URL, {**data, "intent": ["check"]})

    assert text_of(whole_page.content.decode(), "dry-run") == text_of(
        dry_run.content.decode(), "dry-run"
    )
    html = dry_run.content.decode()
    dialog = text_of(html, "dry-run")
    assert "What that would do now:" in dialog
    assert "First reply 0 due later · 4 due earlier · 1 overdue now · 1 due soon now" in dialog
    assert "Close 0 due later · 0 due earlier · 0 overdue now" in dialog
    assert "Next reply" not in dialog  # no goal, no clock: nothing to say
    assert "1 ticket turns Overdue at once, 1 turn Due soon" in dialog
    assert sla_settings_document() == saved
    assert sorted(SlaClock.objects.values_list("id", "due_at", "status")) == clocks
    assert not SlaRecompute.objects.exists()


def test_over_the_limit_the_dialog_follows_a_background_dry_run(
    admin_client_: Client, db, settings
) -> None:
    """Above SLA_PREVIEW_INLINE_MAX_TICKETS open tickets the dialog's dry run runs in the
    background: a progress block that polls itself, then the same counts."""
    import datetime

    import time_machine

    from settings_app.services import sla_settings_save
    from tests.factories import goal_row, sla_document
    from tickets.models import SettingsPreviewRun, SlaClock
    from tickets.preview_runs import settings_preview_run

    now = datetime.datetime(2026, 12, 3, 13, 0, tzinfo=datetime.UTC)
    with time_machine.travel(now, tick=False):
        sla_settings_save(
            document=sla_document(goals=[goal_row(first_response=(60, 15), close=(1440, None))]),
            actor=None,
            via="command",
        )
        for minutes_ago in (50, 40, 10, 1):
            ticket_create(
                subject="Hi",
                body="Hi",
                requester_email="c@example.com",
                now=now - datetime.timedelta(minutes=minutes_ago),
            )
        saved = sla_settings_document()
        clocks = sorted(SlaClock.objects.values_list("id", "due_at", "status"))
        data = form_data(page_html(admin_client_))
        data["goal-all-first_response_minutes_number"] = ["45"]
        data["goal-all-first_response_minutes_unit"] = ["minutes"]
        data["goal-all-first_response_due_soon_minutes_number"] = ["10"]
        data["goal-all-first_response_due_soon_minutes_unit"] = ["minutes"]
        inline = admin_client_.post("/settings/sla/check/", {**data, "part": ["dry_run"]})
        settings.SLA_PREVIEW_INLINE_MAX_TICKETS = 3

        started = admin_client_.post("/settings/sla/check/", {**data, "part": ["dry_run"]})
        run = SettingsPreviewRun.objects.get()
        html = started.content.decode()
        assert f'hx-get="/settings/sla/dry-runs/{run.pk}/"' in html
        assert "Working out in the background what that would do now to the 4 open tickets" in (
            text_of(html, "dry-run")
        )
        assert "0 of 4 gone through" in text_of(html, "dry-run")
        SettingsPreviewRun.objects.filter(pk=run.pk).update(state="running", done=2)
        halfway = admin_client_.get(f"/settings/sla/dry-runs/{run.pk}/").content.decode()
        assert "2 of 4 gone through" in text_of(halfway, "dry-run") and "w-pct-50" in halfway
        SettingsPreviewRun.objects.filter(pk=run.pk).update(state="queued", done=0)
        settings_preview_run(run_id=run.pk, now=now)  # what the Celery task does
        done = admin_client_.get(f"/settings/sla/dry-runs/{run.pk}/").content.decode()

    assert "hx-get" not in done  # it stops polling
    assert text_of(done, "dry-run") == text_of(inline.content.decode(), "dry-run")
    assert "1 ticket turns Overdue at once, 1 turn Due soon" in text_of(done, "dry-run")
    assert sla_settings_document() == saved
    assert sorted(SlaClock.objects.values_list("id", "due_at", "status")) == clocks
    assert not SlaRecompute.objects.exists()
    assert admin_client_.get("/settings/sla/dry-runs/999/").status_code == 404
