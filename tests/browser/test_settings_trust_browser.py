"""Issue "SLA settings a super admin can trust", item by item, as a super admin does it in
Chromium on the demo's settings (goals per priority: Urgent 15 min …, Low off).

1. switching scope and back keeps every goal, and the save's audit entry lists only real changes;
   units stay as they were when a field is typed again;
2. renaming a team keeps its goals; deleting one in use is refused, naming the uses;
3. a save that changes nothing says so and saves nothing;
4. the apply dialog comes only after the change was validated;
5. leaving with unsaved changes asks first; the save bar marks them; the side panel's ✕ undoes
   its edits and Done keeps them; a value switched on with no goal is refused;
6. the audit log and the timeline speak in labels, in the viewer's time zone;
7. a ticket kept on older settings keeps its due moment and its stored time;
8. 390 px without sideways scrolling, the hint follows the hours, "Choose…" shows no table, the
   recompute banner follows the work to its end, the admin's hours read "Friday 10:00–12:00".
"""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from settings_app.demo import DEMO_SETTINGS
from settings_app.models import SlaSettingsChange, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import sla_settings_save
from tests.browser.test_settings_browser import field, sign_in
from tests.factories import TeamFactory, goal_row, sla_document
from tickets.models import AgentProfile, SlaRecompute
from tickets.recompute import sla_recompute_run
from tickets.services import ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URGENT, HIGH, MEDIUM, LOW, NO_PRIORITY = (f"goals-priority-{i}" for i in range(5))


def demo(*, open_tickets: int = 2) -> dict[str, Any]:
    """The demo's settings (per priority, Low off) and some open tickets; the saved document."""
    TeamFactory(slug="billing", name="Billing")
    TeamFactory(slug="it", name="IT")
    for number in range(open_tickets):
        ticket_create(
            subject=f"Open {number}",
            body="Hi",
            requester_email="c@example.com",
            priority="urgent",
            now=timezone.now(),
        )
    return sla_settings_save(document=DEMO_SETTINGS, actor=None, via="command").document


def open_panel(page: Any, prefix: str) -> Any:
    page.locator(f"#{prefix}-row").get_by_role("button", name="Edit SLA goals").click()
    panel = page.locator(f"#panel-{prefix}")
    page.locator(f"#panel-{prefix}.show:not(.showing)").wait_for()
    return panel


def close_panel(panel: Any, how: str) -> None:
    if how == "done":
        panel.get_by_role("button", name="Done").click()
    else:
        panel.get_by_role("button", name="Close without keeping these edits").click()
    panel.wait_for(state="hidden")


def save_and_apply(page: Any, *, choice: str = "To new tickets only") -> str:
    """Save; the dialog appears after the check; apply as ``choice``. The dialog's text."""
    page.locator("#save-button").click()
    dialog = page.locator("#apply-modal")
    page.locator("#apply-modal.show:not(.showing)").wait_for()
    text = dialog.inner_text()
    dialog.get_by_label(choice).check()
    dialog.get_by_role("button", name="Save").click()
    page.wait_for_selector(".alert-success")
    return text


def summary(page: Any, prefix: str, what: str) -> str:
    return page.locator(f'#{prefix}-row [data-summary="{what}"]').inner_text()


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


# --- 1 -------------------------------------------------------------------------------------


def test_1_switching_scope_and_back_keeps_every_goal(
    page, live_server, super_admin, artifacts: Path
) -> None:
    saved = demo()
    sign_in(page)

    # To all tickets, with goals of its own.
    page.get_by_label("To all tickets").check()
    assert not page.locator("#goals-priority").is_visible()
    field(page, "goal-all-first_response_minutes_number").fill("2")  # hours
    field(page, "goal-all-close_minutes_number").fill("3")
    field(page, "goal-all-close_minutes_unit").select_option("days")
    dialog = save_and_apply(page)
    assert "Apply goals: Based on a ticket property → To all tickets" in dialog
    assert "All tickets: time to first reply — → 2 hours" in dialog
    assert "Priority" not in dialog.replace("Ticket property: Priority", "")  # nothing removed

    after = sla_settings_document()
    assert after["scope"] == "all"
    assert after["goals_by_scope"]["priority"] == saved["goals"][:3]  # Low: off, no goal
    entry = SlaSettingsChange.objects.first()
    assert {change["field"] for change in entry.changes} == {
        "scope",
        "property",
        "goals[all].enabled",
        "goals[all].first_response_minutes",
        "goals[all].close_minutes",
    }
    page.goto("/settings/sla/audit/")
    shown = page.locator(f"#change-{entry.pk}").inner_text()
    assert "Apply goals:" in shown and "All tickets: time to close" in shown
    assert "Urgent" not in shown and "removed" not in shown

    # Back to priority: every value as it was, Low still off, each in its own unit.
    page.goto("/settings/sla/")
    page.get_by_label("Based on a ticket property").check()
    page.locator("#id_property").select_option("priority")
    assert page.locator("#goals-priority").is_visible()
    assert summary(page, URGENT, "first_response_minutes") == "15 min"
    assert summary(page, URGENT, "due_soon") == "5 min / 10 min / 1 h"
    assert summary(page, HIGH, "close_minutes") == "1 day"
    assert summary(page, MEDIUM, "close_minutes") == "3 days"
    assert page.locator(f"#{LOW}-row .no-sla").is_visible()
    assert not field(page, f"{LOW}-enabled").is_checked()
    assert page.locator(f"#{NO_PRIORITY}-row .no-sla").is_visible()

    # Typed again, a field keeps its unit: 30 for Urgent's first reply is 30 minutes.
    panel = open_panel(page, URGENT)
    number = field(page, f"{URGENT}-first_response_minutes_number")
    number.fill("")
    number.fill("30")
    assert field(page, f"{URGENT}-first_response_minutes_unit").input_value() == "minutes"
    close_panel(panel, "done")
    assert summary(page, URGENT, "first_response_minutes") == "30 min"
    page.screenshot(path=str(artifacts / "trust_1_back_to_priority.png"), full_page=True)
    dialog = save_and_apply(page)
    assert "Priority Urgent: time to first reply 15 min → 30 min" in dialog
    document = sla_settings_document()
    assert document["goals"][0]["first_response_minutes"] == 30
    assert document["goals"][1:] == saved["goals"][1:3]
    assert document["goals_by_scope"]["all"] == [
        goal_row(first_response=(120, None), close=(3 * 1440, None))
    ]


# --- 2 -------------------------------------------------------------------------------------


def test_2_a_renamed_team_keeps_its_goals_and_a_team_in_use_is_not_deleted(
    page, live_server, super_admin
) -> None:
    billing = TeamFactory(slug="billing", name="Billing")
    sla_settings_save(
        document=sla_document(
            scope="property",
            property="team",
            goals=[goal_row("billing", first_response=(30, 10), close=(480, None))],
        ),
        actor=None,
        via="command",
    )
    sign_in(page)
    page.goto(f"/admin/settings_app/team/{billing.pk}/change/")
    page.locator("#id_name").fill("Billing EU")
    page.locator("#id_slug").fill("billing-eu")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/settings_app/team/$"))

    page.goto("/settings/sla/")
    row = page.locator("#goals-team-0-row")
    assert "Billing EU" in row.inner_text()
    assert summary(page, "goals-team-0", "first_response_minutes") == "30 min"
    assert sla_settings_document()["goals"][0]["value"] == "billing-eu"

    page.goto(f"/admin/settings_app/team/{billing.pk}/delete/")
    body = page.locator("#content").inner_text()
    assert "cannot be deleted while it is in use" in body
    assert "SLA goals: Team Billing EU" in body
    assert page.get_by_role("button", name="Yes, I’m sure").count() == 0
    assert Team.objects.filter(pk=billing.pk).exists()


# --- 3 -------------------------------------------------------------------------------------


def test_3_a_save_that_changes_nothing_says_so(page, live_server, super_admin) -> None:
    saved = demo()
    entries = SlaSettingsChange.objects.count()
    sign_in(page)
    save = page.locator("#save-button")
    assert save.inner_text().strip() == "No changes" and save.is_disabled()
    assert not page.locator("#unsaved-marker").is_visible()

    # Typed and typed back: nothing to save.
    page.locator("#id_timezone").select_option("Europe/Oslo")
    assert save.inner_text().strip() == "Save" and page.locator("#unsaved-marker").is_visible()
    page.locator("#id_timezone").select_option("Europe/Stockholm")
    assert save.inner_text().strip() == "No changes"

    # The same goal said in another unit: the server finds no change, and there is no dialog.
    panel = open_panel(page, HIGH)
    field(page, f"{HIGH}-first_response_minutes_number").fill("60")
    field(page, f"{HIGH}-first_response_minutes_unit").select_option("minutes")
    close_panel(panel, "done")
    assert save.is_enabled()
    save.click()
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.includes('No changes')"
    )
    assert not page.locator("#apply-modal").is_visible()
    assert save.is_disabled()
    assert not page.locator("#unsaved-marker").is_visible()  # nothing left unsaved
    assert sla_settings_document() == saved
    assert SlaSettingsChange.objects.count() == entries


# --- 4 -------------------------------------------------------------------------------------


def test_4_the_apply_dialog_comes_only_after_the_check(page, live_server, super_admin) -> None:
    saved = demo(open_tickets=3)
    sign_in(page)
    panel = open_panel(page, URGENT)
    field(page, f"{URGENT}-first_response_due_soon_minutes_number").fill("20")  # > 15 min goal
    close_panel(panel, "done")
    page.locator("#save-button").click()

    page.locator("#form-errors").wait_for()
    assert not page.locator("#apply-modal").is_visible()  # never asked how to apply
    assert "Nothing was saved — fix the marked fields." in page.locator("#form-errors").inner_text()
    assert (
        "Must be shorter than the time to first reply goal"
        in page.locator(f"#{URGENT}-row").inner_text()
    )
    assert sla_settings_document() == saved

    # Fixed, the check passes and only now the dialog asks, with the open tickets.
    panel = open_panel(page, URGENT)
    field(page, f"{URGENT}-first_response_due_soon_minutes_number").fill("10")
    close_panel(panel, "done")
    dialog = save_and_apply(page, choice="To new tickets and the 3 open tickets")
    assert "Checked: the new settings are valid." in dialog
    assert "Priority Urgent: time to first reply, due soon 5 min → 10 min" in dialog
    assert SlaRecompute.objects.get().tickets == 3


def test_4_the_apply_dialog_shows_the_dry_run_before_anything_is_saved(
    page, live_server, super_admin, artifacts: Path
) -> None:
    """What no peer shows: per goal, what "new and open tickets" would do now (SPEC §2.5)."""
    from tickets.models import SlaClock

    saved = demo(open_tickets=0)
    for number in range(3):  # under the demo's goals: Urgent's first reply in 15 min
        ticket_create(
            subject=f"Open {number}",
            body="Hi",
            requester_email="c@example.com",
            priority="urgent",
            now=timezone.now(),
        )
    due_before = dict(
        SlaClock.objects.filter(kind="first_response").values_list("ticket_id", "due_at")
    )
    sign_in(page)
    panel = open_panel(page, URGENT)
    field(page, f"{URGENT}-first_response_minutes_number").fill("10")
    field(page, f"{URGENT}-first_response_due_soon_minutes_number").fill("2")
    close_panel(panel, "done")
    page.locator("#save-button").click()
    page.locator("#apply-modal.show:not(.showing)").wait_for()
    page.locator("#dry-run:not([data-pending])").wait_for()  # it follows the dialog

    dry_run = page.locator("#dry-run").inner_text()
    assert "What that would do now:" in dry_run
    assert "First reply 0 due later · 3 due earlier · 0 overdue now" in dry_run
    assert "Close 0 due later · 0 due earlier · 0 overdue now" in dry_run
    assert "Next reply" not in dry_run  # no clock of that kind runs, nor would one
    assert "No ticket turns Overdue or Due soon at once." in dry_run
    assert sla_settings_document() == saved and not SlaRecompute.objects.exists()
    page.screenshot(path=str(artifacts / "trust_4_dry_run_1280.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts / "trust_4_dry_run_390.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # Applied to the open tickets, the recompute does what the dry run said.
    dialog = page.locator("#apply-modal")
    dialog.get_by_label("To new tickets and the 3 open tickets").check()
    dialog.get_by_role("button", name="Save").click()
    page.wait_for_selector(".alert-success")
    sla_recompute_run(recompute_id=SlaRecompute.objects.get().pk, now=timezone.now())
    due_after = dict(
        SlaClock.objects.filter(kind="first_response").values_list("ticket_id", "due_at")
    )
    assert len(due_after) == 3
    assert all(due_after[ticket] < due_before[ticket] for ticket in due_before)


def test_4_over_the_limit_the_dialog_shows_the_dry_run_s_progress_then_its_counts(
    page, live_server, super_admin, settings, artifacts: Path
) -> None:
    """Above SLA_PREVIEW_INLINE_MAX_TICKETS open tickets (lowered here to 2) the dry run runs in
    the background: the dialog shows its progress, then the counts, with nothing saved."""
    from tickets.models import SettingsPreviewRun
    from tickets.preview_runs import settings_preview_run

    settings.SLA_PREVIEW_INLINE_MAX_TICKETS = 2
    saved = demo(open_tickets=0)
    for number in range(3):  # under the demo's goals: Urgent's first reply in 15 min
        ticket_create(
            subject=f"Open {number}",
            body="Hi",
            requester_email="c@example.com",
            priority="urgent",
            now=timezone.now(),
        )
    sign_in(page)
    panel = open_panel(page, URGENT)
    field(page, f"{URGENT}-first_response_minutes_number").fill("10")
    field(page, f"{URGENT}-first_response_due_soon_minutes_number").fill("2")
    close_panel(panel, "done")
    page.locator("#save-button").click()
    page.locator("#apply-modal.show:not(.showing)").wait_for()
    progress = page.locator("#dry-run[data-background]")
    progress.wait_for()
    text = progress.inner_text()
    assert "Working out in the background what that would do now to the 3 open tickets" in text
    assert "0 of 3 gone through; you may save meanwhile." in text
    assert page.get_by_role("progressbar", name="Dry run progress").is_visible()
    page.screenshot(path=str(artifacts / "trust_4_dry_run_background_1280.png"))

    run = SettingsPreviewRun.objects.get()  # queued: no worker runs in the tests
    settings_preview_run(run_id=run.pk)  # what the Celery task does
    page.locator("#dry-run .dry-run-summary").wait_for(timeout=15_000)  # it polled its way here

    dry_run = page.locator("#dry-run").inner_text()
    assert "What that would do now:" in dry_run
    assert "First reply 0 due later · 3 due earlier · 0 overdue now" in dry_run
    assert "No ticket turns Overdue or Due soon at once." in dry_run
    assert sla_settings_document() == saved and not SlaRecompute.objects.exists()
    page.screenshot(path=str(artifacts / "trust_4_dry_run_background_done_1280.png"))


# --- 5 -------------------------------------------------------------------------------------


def test_5_unsaved_changes_are_marked_and_asked_about(page, live_server, super_admin) -> None:
    demo()
    sign_in(page)
    page.locator("#id_timezone").select_option("Europe/Helsinki")
    assert page.locator("#unsaved-marker").is_visible()

    # An in-app link asks first; "Stay" keeps the page and what was typed.
    page.get_by_role("link", name="Queue").click()
    leave = page.locator("#leave-modal")
    page.locator("#leave-modal.show:not(.showing)").wait_for()
    assert "Leave without saving?" in leave.inner_text()
    leave.get_by_role("button", name="Stay on this page").click()
    leave.wait_for(state="hidden")
    assert page.url.endswith("/settings/sla/")
    assert page.locator("#id_timezone").input_value() == "Europe/Helsinki"

    # A reload or closing the tab: the browser's own question (beforeunload).
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.evaluate("setTimeout(() => window.location.reload(), 0)")
    page.wait_for_function("() => true")
    page.wait_for_timeout(500)  # dismissed: the page stays
    assert asked == ["beforeunload"]
    assert page.locator("#id_timezone").input_value() == "Europe/Helsinki"
    page.remove_listener("dialog", answer)

    # The side panel: ✕ undoes the panel's edits, Done keeps them.
    panel = open_panel(page, URGENT)
    field(page, f"{URGENT}-close_minutes_number").fill("9")
    close_panel(panel, "x")
    assert field(page, f"{URGENT}-close_minutes_number").input_value() == "4"
    assert summary(page, URGENT, "close_minutes") == "4 h"
    panel = open_panel(page, URGENT)
    field(page, f"{URGENT}-close_minutes_number").fill("9")
    close_panel(panel, "done")
    assert summary(page, URGENT, "close_minutes") == "9 h"

    # "No priority" switched on with no goal at all: refused, with a message on its row.
    panel = open_panel(page, NO_PRIORITY)
    panel.get_by_label("SLA goals for No priority").check()
    close_panel(panel, "done")
    page.locator("#save-button").click()
    page.locator("#form-errors").wait_for()
    assert (
        "No priority is switched on with no goal"
        in page.locator(f"#{NO_PRIORITY}-row").inner_text()
    )
    assert page.locator("#unsaved-marker").is_visible()  # what was typed is still unsaved

    # Discard changes asks too; leaving then drops the edits.
    page.get_by_role("link", name="Discard changes").click()
    page.locator("#leave-modal.show:not(.showing)").wait_for()
    with page.expect_navigation():  # the page loads again, with nothing changed
        page.get_by_role("button", name="Leave without saving").click()
    page.locator("#save-button .label").wait_for()
    assert page.locator("#id_timezone").input_value() == "Europe/Stockholm"
    assert page.locator("#save-button").inner_text().strip() == "No changes"


# --- 6 -------------------------------------------------------------------------------------


def test_6_audit_log_and_timeline_speak_in_labels_in_the_viewers_zone(
    page, live_server, super_admin
) -> None:
    demo(open_tickets=0)
    AgentProfile.objects.create(user=super_admin, timezone="America/New_York")
    sign_in(page)
    panel = open_panel(page, URGENT)
    field(page, f"{URGENT}-first_response_minutes_number").fill("30")
    close_panel(panel, "done")
    page.locator("#save-button").click()  # no open ticket: saved at once
    page.wait_for_selector(".alert-success")

    entry = SlaSettingsChange.objects.first()
    page.goto("/settings/sla/audit/")
    row = page.locator(f"#change-{entry.pk}").inner_text()
    assert "Priority Urgent: time to first reply 15 min" in row and "30 min" in row
    local = timezone.localtime(entry.created_at, zoneinfo.ZoneInfo("America/New_York"))
    assert f"{local:%H:%M} {local:%Z}" in row

    ticket = ticket_create(
        subject="Printer",
        body="b",
        requester_email="c@example.com",
        priority="urgent",
        now=timezone.now(),
    )
    page.goto(f"/tickets/{ticket.pk}/")
    timeline = page.locator(".timeline").first.inner_text()
    assert "First reply started (Priority Urgent)" in timeline


# --- 7 -------------------------------------------------------------------------------------


def test_7_a_ticket_kept_on_older_settings_keeps_its_time(page, live_server, super_admin) -> None:
    demo(open_tickets=0)
    ticket = ticket_create(
        subject="Kept",
        body="b",
        requester_email="c@example.com",
        priority="medium",
        now=timezone.now(),
    )
    sign_in(page)
    page.goto(f"/tickets/{ticket.pk}/")
    due_before = page.locator('[data-clock="close"]').inner_text().split("·")[0]

    page.goto("/settings/sla/")
    page.get_by_role("button", name="Edit working hours").click()
    page.locator("#hours-modal.show:not(.showing)").wait_for()
    for day in ("tue", "wed", "thu", "fri"):
        row = page.locator(f'#hours-modal .periods[data-day="{day}"] .period-row').first
        row.locator('input[name$="-end"]').fill("18:00")
    page.locator('#hours-modal [data-action="done"]').click()
    page.locator("#hours-modal").wait_for(state="hidden")
    page.locator("#save-button").click()  # one open ticket: the dialog asks
    page.locator("#apply-modal.show:not(.showing)").wait_for()
    page.get_by_label("To new tickets only").check()
    page.locator("#apply-modal").get_by_role("button", name="Save").click()
    page.wait_for_selector(".alert-success")

    page.goto(f"/tickets/{ticket.pk}/")
    close = page.locator('[data-clock="close"]').inner_text()
    assert close.split("·")[0] == due_before  # the same due moment
    assert "in counted time" not in close
    assert "which have changed since: its due moment stays" in close


# --- 8 -------------------------------------------------------------------------------------


def test_8_the_page_on_a_phone_the_hint_the_banner_and_the_admins_hours(
    page, live_server, super_admin, artifacts: Path
) -> None:
    demo(open_tickets=2)
    sign_in(page)

    # The hint follows the hours being edited.
    note = page.locator("#day-note")
    assert "with 09:00–17:00 hours, that is 3 working days" in note.inner_text()
    page.get_by_role("button", name="Edit working hours").click()
    page.locator("#hours-modal.show:not(.showing)").wait_for()
    for day in ("mon", "tue", "wed", "thu", "fri"):
        rows = page.locator(f'#hours-modal .periods[data-day="{day}"] .period-row')
        while rows.count() > 1:
            rows.nth(1).get_by_role("button", name="Remove these hours").click()
        rows.first.locator('input[name$="-start"]').fill("08:00")
        rows.first.locator('input[name$="-end"]').fill("16:00")
    page.locator('#hours-modal [data-action="done"]').click()
    page.wait_for_function(
        "() => document.getElementById('day-note').textContent.includes('08:00–16:00 hours')"
    )
    assert "that is 3 working days" in note.inner_text()
    page.get_by_label("24/7").check()
    page.wait_for_function(
        "() => document.getElementById('day-note').textContent.includes('one calendar day')"
    )
    page.get_by_label("During working hours").check()

    # "Choose…" shows no table of an old property, and says what to do.
    page.locator("#id_property").select_option("")
    assert not any(
        page.locator(f"#goals-{prop}").is_visible()
        for prop in ("priority", "team", "source", "pipeline")
    )
    assert page.locator("#choose-property-hint").is_visible()
    page.locator("#id_property").select_option("priority")

    # The recompute banner follows the work to its end.
    save_and_apply(page, choice="To new tickets and the 2 open tickets")
    assert "Recomputing" not in page.locator(".alert-success").inner_text()
    progress = page.locator("#recompute-progress")
    recompute = SlaRecompute.objects.get()
    if recompute.state != SlaRecompute.State.DONE:
        assert "Recomputing 2 open tickets" in progress.inner_text()
        sla_recompute_run(recompute_id=recompute.pk, now=timezone.now())
    page.locator('#recompute-progress[data-state="done"]').wait_for(timeout=15_000)
    assert "Recomputed 2 open tickets" in progress.inner_text()
    assert "Recomputing" not in page.locator("main").inner_text()

    # A phone: nothing wider than the screen, in either scope, nor the audit log.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/settings/sla/")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "trust_8_390.png"), full_page=True)
    assert page.locator(f"#{URGENT}-row .edit-goals").is_visible()
    page.get_by_label("To all tickets").check()
    assert no_sideways_scroll(page)
    page.goto("/settings/sla/audit/")
    assert no_sideways_scroll(page)

    # The admin's working hours read as days and times (the page's own period rows).
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/settings_app/slasettings/1/change/")
    friday = page.locator("#day-fri")
    assert friday.locator("label").first.inner_text() == "Friday:"
    assert friday.locator(".time-input").evaluate_all("inputs => inputs.map(i => i.value)") == [
        "08:00",
        "16:00",
        "",
        "",
    ]  # the saved hours, then a blank row to add hours to
