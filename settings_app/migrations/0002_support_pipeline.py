"""Data: the default ``support`` pipeline and the SLA settings row (24/7, goals off)."""

from django.db import migrations

STAGES = [
    ("new", "New", False),
    ("waiting-on-us", "Waiting on us", False),
    ("waiting-on-customer", "Waiting on customer", False),
    ("closed", "Closed", True),
]


def create(apps, schema_editor):
    Pipeline = apps.get_model("settings_app", "Pipeline")
    Stage = apps.get_model("settings_app", "Stage")
    SlaSettings = apps.get_model("settings_app", "SlaSettings")
    pipeline, _ = Pipeline.objects.get_or_create(
        slug="support", defaults={"name": "Support", "position": 0}
    )
    for position, (slug, name, is_closed) in enumerate(STAGES):
        Stage.objects.get_or_create(
            pipeline=pipeline,
            slug=slug,
            defaults={"name": name, "position": position, "is_closed": is_closed},
        )
    SlaSettings.objects.get_or_create(pk=1)


def remove(apps, schema_editor):
    apps.get_model("settings_app", "Pipeline").objects.filter(slug="support").delete()
    apps.get_model("settings_app", "SlaSettings").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("settings_app", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
