"""Teams, pipelines and stages by record (SPEC 2): renaming keeps goals and pause stages, deleting
one that goals, pause stages or open tickets use is refused with a message that names them, in
the service and in the Django admin."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.utils import timezone

from settings_app.models import Pipeline, SlaGoal, Stage, Team
from settings_app.selectors import sla_settings_document
from settings_app.services import ReferenceInUse, reference_delete, sla_settings_save
from tests.factories import PipelineFactory, TeamFactory, TicketFactory, goal_row, sla_document
from tests.settings_app.pages.helpers import form_data
from tickets.display import event_label
from tickets.models import Ticket
from tickets.services import ticket_update

URL = "/api/sla/settings/"


def save(document: dict) -> dict:
    return sla_settings_save(document=document, actor=None, via="command").document


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def billing(db) -> Team:
    return TeamFactory(slug="billing", name="Billing")


@pytest.fixture
def by_team(billing) -> dict:
    return save(
        sla_document(
            scope="property",
            property="team",
            goals=[goal_row("billing", first_response=(30, 10), close=(600, None))],
        )
    )


# --- Renames --------------------------------------------------------------------------------


def test_renaming_a_team_keeps_its_goals_under_the_new_slug(admin_client_, billing, by_team):
    billing.slug, billing.name = "billing-eu", "Billing EU"
    billing.save()

    fetched = admin_client_.get(URL).json()
    assert [row["value"] for row in fetched["goals"]] == ["billing-eu"]
    assert fetched["version"] == by_team["version"]  # the settings themselves did not change
    # An unchanged GET → PUT is accepted, and changes nothing.
    response = admin_client_.put(URL, json.dumps(fetched), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == fetched
    # New tickets of the team get its goals, and record the row by a reference that survives.
    ticket = TicketFactory(team=billing)
    assert ticket.clocks.get(kind="first_response").goal_minutes == 30
    assert Ticket.objects.get(pk=ticket.pk).sla_goal_value == f"team:{billing.pk}"


def test_the_settings_page_shows_a_renamed_team_and_keeps_its_goals(
    admin_client_, billing, by_team
):
    billing.slug, billing.name = "billing-eu", "Billing EU"
    billing.save()
    html = admin_client_.get("/settings/sla/").content.decode()
    data = form_data(html)
    assert data["goals-team-0-value"] == ["billing-eu"]
    assert data["goals-team-0-first_response_minutes_number"] == ["30"]
    assert "Billing EU" in html
    # Saved unchanged from the page: nothing is lost (nothing changes at all).
    response = admin_client_.post("/settings/sla/", data)
    assert response.status_code == 302
    assert sla_settings_document()["goals"] == [
        goal_row("billing-eu", first_response=(30, 10), close=(600, None))
    ]


def test_renaming_a_pipeline_and_a_stage_keeps_goals_and_pause_stages(db) -> None:
    pipeline = PipelineFactory(slug="sales", stages=[("new", False), ("waiting", False)])
    save(
        sla_document(
            pause_statuses=["sales/waiting"],
            scope="property",
            property="pipeline",
            goals=[goal_row("sales", close=(60, None))],
        )
    )
    pipeline.slug = "deals"
    pipeline.save()
    stage = Stage.objects.get(pipeline=pipeline, slug="waiting")
    stage.slug = "waiting-on-them"
    stage.save()
    document = sla_settings_document()
    assert document["pause_statuses"] == ["deals/waiting-on-them"]
    assert document["goals"] == [goal_row("deals", close=(60, None))]
    ticket = TicketFactory(pipeline=pipeline)
    assert ticket.clocks.get(kind="close").goal_minutes == 60


# --- Deletes, in the service ----------------------------------------------------------------


def test_a_team_with_goals_is_not_deleted(billing, by_team) -> None:
    with pytest.raises(ReferenceInUse) as refused:
        reference_delete(obj=billing)
    assert refused.value.uses == ["SLA goals: Team Billing"]
    assert Team.objects.filter(pk=billing.pk).exists()


def test_kept_goals_of_another_scope_also_keep_a_team(billing, by_team) -> None:
    save(sla_document())  # goals for all tickets now; the team rows are kept
    with pytest.raises(ReferenceInUse) as refused:
        reference_delete(obj=billing)
    assert refused.value.uses == [
        "SLA goals: Team Billing (kept for when goals depend on it again)"
    ]


def test_a_team_with_open_tickets_is_not_deleted_and_its_tickets_keep_it(billing) -> None:
    tickets = [TicketFactory(team=billing) for _ in range(7)]
    ticket_update(
        ticket_id=tickets[0].pk, now=timezone.now(), stage=Stage.objects.get(slug="closed")
    )
    with pytest.raises(ReferenceInUse) as refused:
        reference_delete(obj=billing)
    numbers = ", ".join(f"#{t.pk}" for t in tickets[1:6])
    assert refused.value.uses == [f"6 open tickets: {numbers} and 1 more"]
    assert Ticket.objects.filter(team=billing).count() == 7


def test_an_unused_team_is_deleted_and_its_closed_tickets_lose_it(billing) -> None:
    ticket = TicketFactory(team=billing)
    ticket_update(ticket_id=ticket.pk, now=timezone.now(), stage=Stage.objects.get(slug="closed"))
    reference_delete(obj=billing)
    assert not Team.objects.filter(pk=billing.pk).exists()
    assert Ticket.objects.get(pk=ticket.pk).team is None


def test_a_pipeline_in_use_is_not_deleted(db) -> None:
    pipeline = PipelineFactory(
        slug="sales", name="Sales", stages=[("new", False), ("waiting", False), ("done", True)]
    )
    save(
        sla_document(
            pause_statuses=["sales/waiting"],
            goals_by_scope={"pipeline": [goal_row("sales", close=(60, None))]},
        )
    )
    ticket = TicketFactory(pipeline=pipeline)
    with pytest.raises(ReferenceInUse) as refused:
        reference_delete(obj=pipeline)
    assert refused.value.uses == [
        "SLA goals: Pipeline Sales (kept for when goals depend on it again)",
        "SLA settings: clocks pause in Sales › Waiting",
        f"1 open or closed ticket: #{ticket.pk}",
    ]
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_a_pause_stage_is_not_deleted(db) -> None:
    save(sla_document())  # pauses in support/waiting-on-customer
    stage = Stage.objects.get(slug="waiting-on-customer")
    with pytest.raises(ReferenceInUse) as refused:
        reference_delete(obj=stage)
    assert refused.value.uses == ["SLA settings: clocks pause in Support › Waiting on customer"]
    assert sla_settings_document()["pause_statuses"] == ["support/waiting-on-customer"]


def test_a_stage_with_tickets_in_it_is_not_deleted_and_an_unused_one_is(db) -> None:
    """Not a pause stage, no goal names it: its tickets alone keep it (issue 15, item 2)."""
    save(sla_document(pause_statuses=[]))
    new = Stage.objects.get(pipeline__slug="support", slug="new")
    ticket = TicketFactory()
    assert ticket.stage_id == new.pk
    with pytest.raises(ReferenceInUse) as refused:
        reference_delete(obj=new)
    assert refused.value.uses == [f"1 open ticket: #{ticket.pk}"]
    assert Stage.objects.filter(pk=new.pk).exists()
    assert Ticket.objects.get(pk=ticket.pk).stage_id == new.pk
    unused = Stage.objects.get(pipeline__slug="support", slug="waiting-on-us")
    reference_delete(obj=unused)
    assert not Stage.objects.filter(pk=unused.pk).exists()


# --- Deletes, in the admin ------------------------------------------------------------------


def test_the_admin_names_what_uses_a_team_and_does_not_delete_it(admin_client_, billing, by_team):
    ticket = TicketFactory(team=billing)
    url = f"/admin/settings_app/team/{billing.pk}/delete/"
    page = text(admin_client_.get(url).content.decode())
    assert "The team “Billing” cannot be deleted while it is in use:" in page
    assert "SLA goals: Team Billing" in page
    assert f"1 open ticket: #{ticket.pk}" in page
    assert "Yes, I’m sure" not in page
    response = admin_client_.post(url, {"post": "yes"})
    assert response.status_code == 200  # the same page again
    assert Team.objects.filter(pk=billing.pk).exists()
    assert SlaGoal.objects.filter(team=billing).exists()


def test_the_admin_bulk_delete_refuses_teams_in_use(admin_client_, billing, by_team) -> None:
    spare = TeamFactory(slug="spare", name="Spare")
    data = {"action": "delete_selected", "_selected_action": [billing.pk, spare.pk]}
    page = text(admin_client_.post("/admin/settings_app/team/", data).content.decode())
    assert "Billing: SLA goals: Team Billing" in page
    admin_client_.post("/admin/settings_app/team/", {**data, "post": "yes"})
    assert Team.objects.filter(pk=billing.pk).exists()


def test_the_admin_deletes_an_unused_team(admin_client_, db) -> None:
    spare = TeamFactory(slug="spare", name="Spare")
    url = f"/admin/settings_app/team/{spare.pk}/delete/"
    assert "Yes, I’m sure" in admin_client_.get(url).content.decode()
    assert admin_client_.post(url, {"post": "yes"}).status_code == 302
    assert not Team.objects.filter(pk=spare.pk).exists()


def test_the_admin_refuses_to_delete_a_pause_stage_of_a_pipeline(admin_client_, db) -> None:
    save(sla_document())
    support = Pipeline.objects.get(slug="support")
    url = f"/admin/settings_app/pipeline/{support.pk}/change/"
    data = form_data(admin_client_.get(url).content.decode(), "pipeline_form")
    waiting = Stage.objects.get(slug="waiting-on-customer")
    index = next(
        i
        for i in range(int(data["stages-TOTAL_FORMS"][0]))
        if data[f"stages-{i}-id"] == [str(waiting.pk)]
    )
    data[f"stages-{index}-DELETE"] = ["on"]
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert (
        "Stage “Waiting on customer” cannot be deleted: SLA settings: clocks pause in Support › "
        "Waiting on customer." in text(response.content.decode())
    )
    assert Stage.objects.filter(pk=waiting.pk).exists()


def test_the_admin_names_what_uses_a_pipeline(admin_client_, db) -> None:
    pipeline = PipelineFactory(slug="sales", name="Sales", stages=[("new", False), ("done", True)])
    save(sla_document(goals_by_scope={"pipeline": [goal_row("sales", close=(60, None))]}))
    page = text(
        admin_client_.get(f"/admin/settings_app/pipeline/{pipeline.pk}/delete/").content.decode()
    )
    assert "The pipeline “Sales” cannot be deleted while it is in use:" in page
    assert "SLA goals: Pipeline Sales (kept for when goals depend on it again)" in page


def test_a_rename_in_the_admin_names_the_team_anew_on_new_tickets(admin_client_, billing, by_team):
    """The settings snapshot (cached per process) is rebuilt, so new tickets' timeline names the
    team's goal row by its new name; older tickets' events keep the name of their moment."""

    def applied(ticket):
        return ticket.sla_events.get(clock_kind="first_response", kind="applied")

    before = TicketFactory(team=billing)
    assert applied(before).detail["goal"] == f"team:{billing.pk}"
    assert applied(before).detail["goal_name"] == "Billing"
    assert event_label(applied(before)) == "First reply started (Team Billing)"
    url = f"/admin/settings_app/team/{billing.pk}/change/"
    data = form_data(admin_client_.get(url).content.decode(), "team_form")
    data.update({"name": ["Billing EU"], "slug": ["billing-eu"], "_save": ["Save"]})
    assert admin_client_.post(url, data).status_code == 302
    after = TicketFactory(team=billing)
    assert event_label(applied(after)) == "First reply started (Team Billing EU)"
    assert event_label(applied(before)) == "First reply started (Team Billing)"
