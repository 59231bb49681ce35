"""Agents' time-zone preferences become names SPEC accepts: a ``posix/…`` or ``right/…`` copy
becomes the zone it copies; ``localtime``, ``Factory``, ``posixrules`` and unknown names become
blank (the SLA schedule's zone, as for an agent who never chose one).

The rule is copied from settings_app's migration 0006 (not imported from the app) so that this
migration keeps doing what it did when it was written. Going back changes nothing.
"""

import zoneinfo

from django.db import migrations

REFUSED_NAMES = {"localtime", "Factory", "posixrules"}
REFUSED_PREFIXES = ("posix/", "right/")


def _accepted(name):
    if not name or len(name) > 64 or name in REFUSED_NAMES or name.startswith(REFUSED_PREFIXES):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def canonical(name, *, fallback):
    if _accepted(name):
        return name
    for prefix in REFUSED_PREFIXES:
        if name.startswith(prefix) and _accepted(name.removeprefix(prefix)):
            return name.removeprefix(prefix)
    return fallback


def forward(apps, schema_editor):
    AgentProfile = apps.get_model("tickets", "AgentProfile")
    for profile in AgentProfile.objects.exclude(timezone="").only("pk", "timezone"):
        zone = canonical(profile.timezone, fallback="")
        if zone != profile.timezone:
            AgentProfile.objects.filter(pk=profile.pk).update(timezone=zone)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0015_clock_kind_labels")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
