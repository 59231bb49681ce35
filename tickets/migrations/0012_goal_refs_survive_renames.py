"""``Ticket.sla_goal_value`` names the goal row by a reference that survives renames.

Before: the row's value as text ("" for all tickets, "urgent", a team's slug). After: "all",
"priority:urgent", "team:<id>", "pipeline:<id>" (``settings_app.selectors.goal_ref``). A value is
read in the scope the settings have now (the only one whose rows existed); one that names no team
or pipeline any more is cleared (its row had already stopped applying). One UPDATE per distinct
value, so a large table is rewritten in a few statements.
"""

from django.db import migrations


def refs_forward(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    SlaSettings = apps.get_model("settings_app", "SlaSettings")
    Team = apps.get_model("settings_app", "Team")
    Pipeline = apps.get_model("settings_app", "Pipeline")
    row = SlaSettings.objects.filter(pk=1).first()
    scope = "all" if row is None or row.scope == "all" else row.property
    ids = {}
    if scope == "team":
        ids = {slug: str(pk) for slug, pk in Team.objects.values_list("slug", "id")}
    elif scope == "pipeline":
        ids = {slug: str(pk) for slug, pk in Pipeline.objects.values_list("slug", "id")}
    values = (
        Ticket.objects.exclude(sla_goal_value__isnull=True)
        .values_list("sla_goal_value", flat=True)
        .distinct()
    )
    for value in list(values):
        if scope == "all":
            ref = "all"
        elif scope in ("team", "pipeline"):
            ref = f"{scope}:{ids[value]}" if value in ids else None
        else:
            ref = f"{scope}:{value}"
        Ticket.objects.filter(sla_goal_value=value).update(sla_goal_value=ref)


def refs_backward(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Team = apps.get_model("settings_app", "Team")
    Pipeline = apps.get_model("settings_app", "Pipeline")
    slugs = {f"team:{pk}": slug for pk, slug in Team.objects.values_list("id", "slug")}
    slugs |= {f"pipeline:{pk}": slug for pk, slug in Pipeline.objects.values_list("id", "slug")}
    values = (
        Ticket.objects.exclude(sla_goal_value__isnull=True)
        .values_list("sla_goal_value", flat=True)
        .distinct()
    )
    for ref in list(values):
        if ref == "all":
            value = ""
        elif ref in slugs:
            value = slugs[ref]
        else:
            value = ref.partition(":")[2] or None
        Ticket.objects.filter(sla_goal_value=ref).update(sla_goal_value=value)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0011_ticket_requester_name"),
        ("settings_app", "0004_goals_kept_per_scope"),
    ]

    operations = [
        migrations.RunPython(refs_forward, refs_backward, elidable=True),
    ]
