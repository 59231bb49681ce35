"""The SLA settings' time zone becomes a name SPEC accepts: a ``posix/…`` or ``right/…`` copy
becomes the zone it copies (``posix/Europe/Stockholm`` -> ``Europe/Stockholm``); ``localtime``,
``Factory``, ``posixrules`` and names the zone database no longer knows become ``UTC``.

The rule is copied here (not imported) so that this migration keeps doing what it did when it
was written. Going back changes nothing.
"""

import zoneinfo

from django.db import migrations
from django.utils import timezone

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
    SlaSettings = apps.get_model("settings_app", "SlaSettings")
    for row in SlaSettings.objects.only("pk", "timezone"):
        zone = canonical(row.timezone, fallback="UTC")
        if zone != row.timezone:
            # A new updated_at: processes that cached the settings build them again.
            SlaSettings.objects.filter(pk=row.pk).update(timezone=zone, updated_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("settings_app", "0005_single_line_names")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
