"""Deployment safety (issue "Hardening", part 2): ``check --deploy`` is clean with the production
environment that ``.env.example`` and the README document, and the README's production run
(collectstatic, gunicorn, WhiteNoise) serves pages and hashed static files with DEBUG off."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.conftest import free_port, wait_for_port

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "helpdesk.example.com"  # ALLOWED_HOSTS of .env.example
# A Redis database of this run's own, never the shared database 0 that .env.example names for a
# production machine: the run's REDIS_URL (CI's database, a developer's private one), else one
# kept for tests (as tests/hardening/test_throttling.py uses).
RUN_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9"


def documented_environment() -> dict[str, str]:
    """The variables ``.env.example`` sets (its production values), with a real secret key in
    place of its placeholder, as the README tells one to make; nothing from this machine."""
    variables: dict[str, str] = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            variables[key.strip()] = value.strip()
    assert variables["DEBUG"] == "false"
    variables["SECRET_KEY"] = secrets.token_urlsafe(50)
    assert variables["REDIS_URL"].startswith("redis://")  # documented: Redis in production
    variables["REDIS_URL"] = RUN_REDIS_URL
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        **variables,
    }


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_readme_documents_the_production_environment() -> None:
    readme = (BASE_DIR / "README.md").read_text()
    production = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    for needed in ("SECRET_KEY", "DEBUG=false", "ALLOWED_HOSTS", "check --deploy", "gunicorn"):
        assert needed in production, needed
    assert "collectstatic" in production


def test_check_deploy_reports_nothing_with_the_documented_environment() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=documented_environment())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_without_a_secret_key_production_settings_refuse_to_start() -> None:
    env = documented_environment()
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The README's production run on a free loopback port: migrate, collectstatic into a
    temporary folder, gunicorn with DEBUG off (SQLite stands in for PostgreSQL here)."""
    tmp_path = tmp_path_factory.mktemp("production")
    env = documented_environment()
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["STATIC_ROOT"] = str(tmp_path / "static")
    for step in (("migrate", "--no-input", "-v0"), ("collectstatic", "--no-input", "-v0")):
        result = _manage(*step, env=env)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "slaproject.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, timeout=30)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET through a TLS-terminating proxy (it sends X-Forwarded-Proto: https) by default."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        sent = {"Host": HOST, "X-Forwarded-Proto": "https", **headers}
        connection.request("GET", path, headers={k: v for k, v in sent.items() if v})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_gunicorn_serves_pages_and_hashed_static_files_with_debug_off(
    production_server: int,
) -> None:
    status, headers, body = _get(production_server, "/accounts/login/")
    assert status == 200, body[:500]
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert "Secure" in headers["set-cookie"] and "HttpOnly" not in headers["set-cookie"]  # csrf
    page = body.decode()
    stylesheet = re.search(
        r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"', page
    )
    assert stylesheet, "the page does not link the hashed (manifest) name of its stylesheet"

    status, headers, body = _get(production_server, stylesheet.group(1))
    assert status == 200
    assert headers["content-type"].startswith("text/css")
    assert "immutable" in headers["cache-control"]  # WhiteNoise: hashed names cache forever
    assert "max-age=315360000" in headers["cache-control"]
    assert b".btn" in body

    status, headers, _ = _get(production_server, stylesheet.group(1), **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"


def test_the_production_server_redirects_to_https_refuses_other_hosts_and_hides_errors(
    production_server: int,
) -> None:
    status, headers, _ = _get(production_server, "/accounts/login/", **{"X-Forwarded-Proto": ""})
    assert status == 301
    assert headers["location"] == f"https://{HOST}/accounts/login/"
    status, _, _ = _get(production_server, "/accounts/login/", Host="evil.example.net")
    assert status == 400
    status, _, body = _get(production_server, "/no-such-page/")
    assert status == 404
    assert b"Traceback" not in body and b"URLconf" not in body and b"DEBUG" not in body
    status, _, body = _get(production_server, "/api/tickets/")
    assert status == 401 and b'"errors"' in body
