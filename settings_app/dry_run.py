"""The dry run of "new and open tickets": a hook the tickets app fills in.

A settings change is checked here (``settings_app``), but what it would do to open tickets is the
tickets app's to say, and tickets depend on settings, not the reverse. So the tickets app
registers its dry run when it is ready (``tickets.apps``), and the settings page and API call it
through ``settings_dry_run``. The runner takes the settings snapshot a save would give and the
moment to judge at, writes nothing, and returns an object with ``as_json()``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from settings_app.selectors import SlaConfig

DryRun = Callable[..., Any]
_runner: list[DryRun] = []


def dry_run_register(runner: DryRun) -> None:
    """Make ``runner(config=…, now=…)`` the dry run (the last registration wins)."""
    _runner[:] = [runner]


def settings_dry_run(*, config: SlaConfig, now: datetime.datetime) -> Any | None:
    """What applying ``config`` to the open tickets at ``now`` would do (None: no runner)."""
    if not _runner:
        return None
    return _runner[0](config=config, now=now)
