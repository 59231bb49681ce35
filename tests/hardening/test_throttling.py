"""No brute force, no spam (issue "Security, second round", SPEC section 1): failed sign-ins are
counted per (username, client address), slowed, then locked for a while, and unlocked in the
admin; the public request form and the API answer 429 past their limits; the client address
comes from a proxy header only when a trusted proxy sends it.

The project's suite switches both mechanisms off for its other tests (tests/conftest.py); each
test here switches them on with pytest-django's ``settings`` fixture, as a test outside the
project would (the settings are read at request time).
"""

from __future__ import annotations

import datetime
import re
import threading
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client

from tests.hardening.conftest import PASSWORD, World, sign_in_attempt
from tests.hardening.pages import inline_code
from tickets.models import Ticket

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
SIGN_IN = "/accounts/login/"
WRONG = "not-the-password"


@pytest.fixture
def lockout_on(settings: Any) -> None:
    settings.LOGIN_LOCKOUT_ENABLED = True


@pytest.fixture
def limits_on(settings: Any) -> None:
    settings.RATE_LIMITS_ENABLED = True


def _sign_in(client: Client, username: str, password: str, *, address: str = "10.0.0.66") -> Any:
    return client.post(SIGN_IN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def _message(response: Any, element: str) -> str:
    match = re.search(rf'id="{element}">(.*?)</p>', response.content.decode(), re.S)
    assert match, f"no #{element} in the answer {response.status_code}"
    return " ".join(match.group(1).split())


# --- Sign-in: slowed, then locked, then unlocked ---------------------------------------------


def test_failed_sign_ins_are_slowed_then_locked_and_an_admin_unlocks(
    world: World, lockout_on: None
) -> None:
    attacker = Client()
    with time_machine.travel(START, tick=False) as clock:
        for _failure in range(4):  # typos cost nothing
            response = _sign_in(attacker, "boss", WRONG)
            assert response.status_code == 200 and not _signed_in(response)
        assert _sign_in(attacker, "boss", WRONG).status_code == 200  # the 5th failure

        # Slowed: the next try, even with the right password, must wait 5 s.
        response = _sign_in(attacker, "boss", PASSWORD)
        assert response.status_code == 429 and response["Retry-After"] == "5"
        assert "Wait 5 seconds before you try again" in _message(response, "lockout-message")
        for wait in (5, 10, 20, 40):  # failures 5 to 8 -> the waits double
            clock.shift(wait - 1)
            assert _sign_in(attacker, "boss", WRONG).status_code == 429
            clock.shift(1)
            assert _sign_in(attacker, "boss", WRONG).status_code == 200
        clock.shift(60)

        # The 10th failure locks the pair for 15 minutes; the right password does not get in.
        response = _sign_in(attacker, "boss", WRONG)
        assert response.status_code == 429 and response["Retry-After"] == "900"
        assert "is locked for 15 minutes" in _message(response, "lockout-message")
        clock.shift(600)
        response = _sign_in(attacker, "boss", PASSWORD)
        assert response.status_code == 429 and not _signed_in(response)
        assert "locked for 5 minutes" in _message(response, "lockout-message")
        admin_login = attacker.post(
            "/admin/login/", {"username": "boss", "password": PASSWORD}, REMOTE_ADDR="10.0.0.66"
        )
        assert admin_login.status_code == 429

        # Unlocked in the admin by a super admin: the right password works again.
        boss = world.clients["super_admin"]
        attempts = boss.get("/admin/axes/accessattempt/").content.decode()
        assert "10.0.0.66" in attempts and "Locked Out" in attempts
        ids = re.findall(r'name="_selected_action" value="(\d+)"', attempts)
        unlock = boss.post(
            "/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": ids}
        )
        assert unlock.status_code == 302
        assert _signed_in(_sign_in(attacker, "boss", PASSWORD))


def test_a_lock_ends_by_itself_after_15_minutes(world: World, lockout_on: None) -> None:
    with time_machine.travel(START, tick=False) as clock:
        for _failure in range(10):
            _sign_in(Client(), "agent", WRONG)
            clock.shift(60)  # slower than every wait
        assert _sign_in(Client(), "agent", PASSWORD).status_code == 429
        clock.shift(15 * 60 - 60 + 1)
        assert _signed_in(_sign_in(Client(), "agent", PASSWORD))


def test_the_40_wrong_passwords_of_the_report_do_not_get_in(world: World, lockout_on: None):
    attacker = Client()
    # 40 tries in one instant, as a script sends them (frozen time: a loaded machine must not
    # let the 5-second wait after the 5th failure pass between two tries).
    with time_machine.travel(START, tick=False):
        answers = [_sign_in(attacker, "boss", f"guess-{n}").status_code for n in range(40)]
        assert answers[:5] == [200] * 5 and set(answers[5:]) == {429}
        assert not _signed_in(_sign_in(attacker, "boss", PASSWORD))


def test_failures_count_per_username_and_address(world: World, lockout_on: None) -> None:
    with time_machine.travel(START, tick=False) as clock:
        for _failure in range(10):
            _sign_in(Client(), "boss", WRONG, address="203.0.113.9")
            clock.shift(60)
        assert _sign_in(Client(), "boss", PASSWORD, address="203.0.113.9").status_code == 429
        # Nobody locks the super admin out from elsewhere: from their own address they get in.
        assert _signed_in(_sign_in(Client(), "boss", PASSWORD, address="198.51.100.7"))
        # and the attacker's address is not locked for other people's names.
        assert _signed_in(_sign_in(Client(), "agent", PASSWORD, address="203.0.113.9"))


def test_the_lockout_is_switched_by_its_setting_at_request_time(world: World, settings) -> None:
    settings.LOGIN_LOCKOUT_ENABLED = False
    for n in range(12):
        assert _sign_in(Client(), "boss", f"guess-{n}").status_code == 200
    assert _signed_in(_sign_in(Client(), "boss", PASSWORD))
    settings.LOGIN_LOCKOUT_ENABLED = True
    for n in range(6):
        _sign_in(Client(), "agent", f"guess-{n}")
    assert _sign_in(Client(), "agent", PASSWORD).status_code == 429


def test_the_test_clients_login_and_force_login_work_with_the_lockout_on(
    world: World, lockout_on: None
) -> None:
    for n in range(12):  # the test client's own address locked for "agent"
        _sign_in(Client(), "agent", f"guess-{n}", address="127.0.0.1")
    client = Client()
    assert client.login(username="agent", password=PASSWORD)
    assert client.get("/tickets/").status_code == 200
    assert not Client().login(username="agent", password=WRONG)
    forced = Client()
    forced.force_login(world.users["agent"])
    assert forced.get("/tickets/").status_code == 200


# --- Rate limits -----------------------------------------------------------------------------

REQUEST = {"requester_email": "ana@example.com", "subject": "Help", "body": "Please."}


def test_the_request_form_answers_429_past_its_limit(db: Any, limits_on: None) -> None:
    spammer = Client()

    def post() -> Any:
        return spammer.post("/request/", REQUEST, REMOTE_ADDR="203.0.113.5")

    with time_machine.travel(START, tick=False) as clock:
        assert [post().status_code for _n in range(8)] == [302] * 5 + [429] * 3
        assert Ticket.objects.count() == 5
        refused = post()
        assert refused["Retry-After"] == "60"
        assert "Please try again in 60 seconds" in _message(refused, "rate-limit-message")
        # The page itself still opens, and other customers are not held up.
        assert spammer.get("/request/", REMOTE_ADDR="203.0.113.5").status_code == 200
        assert Client().post("/request/", REQUEST, REMOTE_ADDR="198.51.100.2").status_code == 302
        clock.shift(60)  # a minute later, the next ones go through
        assert post().status_code == 302


def test_a_flood_like_the_reports_is_refused_for_the_hour(db: Any, limits_on: None) -> None:
    """The report's client opened 30 tickets in 4.9 s; refused tries count too, so a flood
    stays refused until its hour is over."""
    with time_machine.travel(START, tick=False) as clock:
        answers = [Client().post("/request/", REQUEST).status_code for _n in range(30)]
        assert answers == [302] * 5 + [429] * 25
        clock.shift(60)
        refused = Client().post("/request/", REQUEST)
        assert refused.status_code == 429
        assert "Please try again in 59 minutes" in _message(refused, "rate-limit-message")
        assert Ticket.objects.count() == 5


def test_the_request_forms_hourly_limit(db: Any, limits_on: None) -> None:
    with time_machine.travel(START, tick=False) as clock:
        created = 0
        for _minute in range(8):
            for _n in range(5):
                created += Client().post("/request/", REQUEST).status_code == 302
            clock.shift(60)
        assert created == 30
        refused = Client().post("/request/", REQUEST)
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 60


def test_the_limits_are_switched_by_their_setting_at_request_time(db: Any, settings) -> None:
    settings.RATE_LIMITS_ENABLED = False
    assert {Client().post("/request/", REQUEST).status_code for _n in range(8)} == {302}
    settings.RATE_LIMITS_ENABLED = True
    answers = [Client().post("/request/", REQUEST).status_code for _n in range(6)]
    assert answers == [302] * 5 + [429]


def test_api_tokens_get_a_generous_limit_and_json(world: World, settings) -> None:
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_token": [(3, 60)]}
    api = Client(headers={"Authorization": f"Token {world.token.key}"})
    with time_machine.travel(START, tick=False):
        assert [api.get("/api/tickets/").status_code for _n in range(3)] == [200] * 3
        refused = api.get("/api/tickets/")
        assert refused.status_code == 429 and refused["Retry-After"] == "60"
        body = refused.json()
        assert list(body) == ["errors"] and "try again in 60 seconds" in body["errors"][""][0]
        # Another token is counted on its own; the session is not limited.
        assert world.clients["agent"].get("/api/tickets/").status_code == 200


def test_the_default_api_token_limit_is_generous(world: World, limits_on: None) -> None:
    api = Client(headers={"Authorization": f"Token {world.token.key}"})
    with time_machine.travel(START, tick=False):
        assert {api.get("/api/tickets/").status_code for _n in range(100)} == {200}


def _concurrent_hits(settings: Any) -> list[bool]:
    """40 hits from 8 threads at once against a limit of 10: whether each was let through."""
    from slaproject.rate_limits import retry_after

    settings.RATE_LIMITS = {"burst": [(10, 3600)]}
    allowed: list[bool] = []
    barrier = threading.Barrier(8)

    def hit() -> None:
        barrier.wait()
        for _n in range(5):
            allowed.append(retry_after(scope="burst", key="one") is None)

    threads = [threading.Thread(target=hit) for _n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return allowed


def test_concurrent_hits_are_counted_exactly(db: Any, settings) -> None:
    allowed = _concurrent_hits(settings)
    assert allowed.count(True) == 10 and len(allowed) == 40


@pytest.mark.redis
def test_concurrent_hits_are_counted_exactly_on_redis(db: Any, settings, private_redis) -> None:
    """On Redis (what REDIS_URL configures), where several processes share the counters."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
        }
    }
    allowed = _concurrent_hits(settings)
    assert allowed.count(True) == 10 and len(allowed) == 40


# --- The client address behind a proxy -------------------------------------------------------


def test_the_proxy_header_counts_only_from_a_trusted_proxy(
    db: Any, limits_on: None, settings
) -> None:
    settings.TRUSTED_PROXIES = ["10.1.0.0/16"]
    via_proxy = {"REMOTE_ADDR": "10.1.2.3"}
    with time_machine.travel(START, tick=False):
        # Behind the trusted proxy each customer is counted on their own address …
        for customer in ("198.51.100.1", "198.51.100.2"):
            answers = [
                Client()
                .post("/request/", REQUEST, HTTP_X_FORWARDED_FOR=customer, **via_proxy)
                .status_code
                for _n in range(5)
            ]
            assert answers == [302] * 5
        # … and a spoofed left-most entry does not give a spammer a new address.
        spoofed = Client().post(
            "/request/",
            REQUEST,
            HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.1",
            **via_proxy,
        )
        assert spoofed.status_code == 429
        # Straight to the server, the header is ignored: the sender's own address counts.
        for n in range(5):
            direct = Client().post(
                "/request/", REQUEST, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", REMOTE_ADDR="203.0.113.8"
            )
            assert direct.status_code == 302
        assert (
            Client()
            .post(
                "/request/", REQUEST, HTTP_X_FORWARDED_FOR="192.0.2.77", REMOTE_ADDR="203.0.113.8"
            )
            .status_code
            == 429
        )


def test_https_is_believed_only_from_a_trusted_proxy(db: Any, settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    claimed = {"HTTP_X_FORWARDED_PROTO": "https"}
    assert Client().get("/request/", REMOTE_ADDR="127.0.0.1", **claimed).status_code == 200
    direct = Client().get("/request/", REMOTE_ADDR="203.0.113.8", **claimed)
    assert direct.status_code == 301 and direct["Location"].startswith("https://")


def test_the_cache_is_shared_redis_when_redis_url_is_set() -> None:
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {"DJANGO_SETTINGS_MODULE": "slaproject.settings", "DEBUG": "true", "PATH": ""}
    with_redis = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env={**env, "REDIS_URL": "redis://127.0.0.1:6379/9"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert with_redis.stdout.strip() == "django.core.cache.backends.redis.RedisCache"
    without = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert without.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"
    assert cache is not None


def test_staff_unlock_agents_but_never_a_super_admin(world: World) -> None:
    agents = world.attempt  # the agent's
    boss = sign_in_attempt("boss", failures=10)
    staff = world.clients["staff"]
    listed = staff.get("/admin/axes/accessattempt/").content.decode()
    assert f'value="{agents.pk}"' in listed and f'value="{boss.pk}"' not in listed
    staff.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": [agents.pk, boss.pk]},
    )
    remaining = set(AccessAttempt.objects.values_list("pk", flat=True))
    assert agents.pk not in remaining and boss.pk in remaining


def test_the_refusal_pages_keep_the_content_security_policy(world: World, settings) -> None:
    settings.LOGIN_LOCKOUT_ENABLED = True
    settings.RATE_LIMITS_ENABLED = True
    settings.LOGIN_SLOW_AFTER = 1
    _sign_in(Client(), "agent", WRONG)
    locked = _sign_in(Client(), "agent", WRONG)
    for _n in range(6):
        limited = Client().post("/request/", REQUEST)
    for response in (locked, limited):
        assert response.status_code == 429
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert inline_code(response.content.decode()) == []
