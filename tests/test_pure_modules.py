"""The pure modules import no Django but its translation (the words a person reads), and nothing
of the project's that does: no database, no request, no settings, no clock. The import contract
(pyproject.toml, "pure") keeps them off the project's impure modules; it sees Django only as one
package, so this test names the parts of Django a pure module may use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_MODULES = (
    "settings_app/business_time.py",
    "settings_app/display.py",
    "settings_app/document.py",
    "settings_app/goal_reach.py",
    "settings_app/labels.py",
    "settings_app/time_zones.py",
    "slaproject/single_line.py",
    "tickets/planner.py",
    "tickets/report_chart.py",
    "tickets/sla.py",
    "tickets/inbound/parsing.py",
    "tickets/webhooks/signing.py",
)
ALLOWED_DJANGO = ("django.utils.translation", "django.utils.functional", "django.utils.formats")
# The core of SPEC section 6 and the clock rules: not even translation.
NO_DJANGO_AT_ALL = (
    "settings_app/business_time.py",
    "tickets/planner.py",
    "tickets/sla.py",
    "tickets/webhooks/signing.py",
)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("name", PURE_MODULES)
def test_a_pure_module_imports_no_django_but_translation(name: str) -> None:
    django = {m for m in imported_modules(ROOT / name) if m.split(".")[0] == "django"}
    allowed = () if name in NO_DJANGO_AT_ALL else ALLOWED_DJANGO
    assert not {m for m in django if not m.startswith(allowed)}, name


def test_the_check_sees_a_django_import(tmp_path: Path) -> None:
    module = tmp_path / "planted.py"
    module.write_text("def f():\n    from django.db import connection\n    return connection\n")
    assert "django.db" in imported_modules(module)
