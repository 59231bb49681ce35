"""The assumption behind the business-time core's offset probing, checked against every zone.

``settings_app.business_time`` probes a zone's UTC offset once per ``_PROBE_SECONDS`` and bisects
to the second where it changed; that is exact only if no zone changes its offset twice within one
probe step. This test reads every zone's transitions from the tz database that ``zoneinfo`` uses
(through the pure-Python ``zoneinfo`` implementation's parsed data: explicit transitions, then the
zone's yearly rule up to 2200) and fails, naming the zone, if a future tz database breaks that.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from zoneinfo._zoneinfo import ZoneInfo as PureZoneInfo  # the parsed data is readable here

from settings_app import business_time

RULE_YEARS = range(2000, 2201)


def _changes(key: str) -> list[int]:
    """UTC seconds at which the zone's offset changes (explicit ones, then its yearly rule)."""
    zone = PureZoneInfo.no_cache(key)
    changes: list[int] = []
    before = zone._tti_before  # noqa: SLF001
    for at, info in zip(zone._trans_utc, zone._ttinfos, strict=True):  # noqa: SLF001
        if before is None or info.utcoff != before.utcoff:
            changes.append(at)
        before = info
    rule = zone._tz_after  # noqa: SLF001
    if hasattr(rule, "transitions"):  # a DST rule (else a fixed offset)
        last = changes[-1] if changes else None
        std = int(rule.std.utcoff.total_seconds())
        dst = int(rule.dst.utcoff.total_seconds())
        for year in RULE_YEARS:
            start, end = rule.transitions(year)  # local times: into DST, and out of it
            for at in sorted((start - std, end - dst)):
                if last is None or at > last:
                    changes.append(at)
                    last = at
    return changes


def test_no_zone_changes_its_offset_twice_within_one_probe_step() -> None:
    step = business_time._PROBE_SECONDS  # noqa: SLF001
    closest: list[tuple[int, str, str]] = []
    for key in sorted(zoneinfo.available_timezones()):
        changes = _changes(key)
        for earlier, later in zip(changes, changes[1:], strict=False):
            if later - earlier <= step:
                when = datetime.fromtimestamp(earlier, UTC).isoformat()
                closest.append((later - earlier, key, when))
    assert closest == [], sorted(closest)[:10]


def test_the_check_sees_real_changes() -> None:
    # Stockholm: two changes a year (last Sunday of March and of October).
    changes = [c for c in _changes("Europe/Stockholm") if c >= 1_767_225_600]  # 2026-01-01
    assert [datetime.fromtimestamp(c, UTC).date().isoformat() for c in changes[:4]] == [
        "2026-03-29",
        "2026-10-25",
        "2027-03-28",
        "2027-10-31",
    ]
