"""Stored names of teams, pipelines, stages and holidays become single-line text
(``single_line``); a name left empty takes its slug (holidays may stay unnamed)."""

from django.db import migrations

from slaproject.single_line import single_line_rows_clean


def clean_names(apps, schema_editor) -> None:
    for name in ("Team", "Pipeline", "Stage"):
        model = apps.get_model("settings_app", name)
        slugs = model.objects.values_list("slug", flat=True)
        single_line_rows_clean(model, "name", fallback=lambda pk, slugs=slugs: slugs.get(pk=pk))
    Holiday = apps.get_model("settings_app", "Holiday")
    single_line_rows_clean(Holiday, "name", fallback=lambda pk: "")


class Migration(migrations.Migration):
    dependencies = [("settings_app", "0004_goals_kept_per_scope")]

    operations = [migrations.RunPython(clean_names, migrations.RunPython.noop, elidable=True)]
