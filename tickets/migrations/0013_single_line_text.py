"""Stored ticket subjects, requester names and API token names become single-line text (``single_line``): a line
break or tab becomes a space, other control and invisible format characters go. Only rows that
hold such a character are read (a regex the database evaluates) and written."""

from django.db import migrations

from slaproject.single_line import single_line_rows_clean


def clean_text(apps, schema_editor) -> None:
    Ticket = apps.get_model("tickets", "Ticket")
    single_line_rows_clean(Ticket, "subject", fallback=lambda pk: "(no subject)")
    single_line_rows_clean(Ticket, "requester_name", fallback=lambda pk: "")
    single_line_rows_clean(apps.get_model("tickets", "ApiToken"), "name", fallback=lambda pk: "")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_goal_refs_survive_renames")]

    operations = [migrations.RunPython(clean_text, migrations.RunPython.noop, elidable=True)]
