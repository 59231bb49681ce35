"""Sign-in throttling on django-axes: failed sign-ins are counted per (username, client address),
slowed, then locked for a while (SPEC section 1).

* Counting per pair means a stranger who tries a super admin's name from elsewhere locks only
  themselves out: the super admin still signs in from their own address.
* After ``LOGIN_SLOW_AFTER`` failures each further try must wait (``slow_down_seconds``: 5 s,
  doubling, at most a minute); after ``AXES_FAILURE_LIMIT`` failures the pair is locked for
  ``AXES_COOLOFF_TIME``. Tries refused while waiting or locked are not counted, so the lock ends
  on time; a successful sign-in clears the pair's failures.
* The answer to a refused try is 429 with ``Retry-After`` and a page saying how long to wait.
  Support staff (and super admins, for super admins) unlock early by deleting the pair's access
  attempt in the admin.
* ``LOGIN_LOCKOUT_ENABLED`` (read at every sign-in) switches all of it off.
* ``authenticate()`` without a request (Django's test client ``login()``, the shell, scripts)
  has no client address to count or refuse: it is left alone, where axes itself would raise.
"""

from __future__ import annotations

import datetime
import math
import weakref
from dataclasses import dataclass
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The first wait after LOGIN_SLOW_AFTER failures, doubled for each further failure, at most this.
FIRST_WAIT_SECONDS = 5
LONGEST_WAIT_SECONDS = 60


@dataclass(frozen=True)
class Refusal:
    """Why the handler refused a sign-in try, for the page that answers it: the seconds to
    wait, and whether the pair is only slowed down (else locked)."""

    wait: int
    slowed: bool = False


# The handler's refusal of a request, read by ``lockout_response`` (axes calls it with the
# request alone); kept beside the request, never on it, and gone with it.
_refusals: weakref.WeakKeyDictionary[HttpRequest, Refusal] = weakref.WeakKeyDictionary()


def lockout_enabled() -> bool:
    return bool(getattr(settings, "LOGIN_LOCKOUT_ENABLED", True))


def slow_down_seconds(failures: int) -> int:
    """How long after its last failure a pair with ``failures`` failures must wait (0: not)."""
    slow_after = getattr(settings, "LOGIN_SLOW_AFTER", 5)
    if failures < slow_after:
        return 0
    return min(FIRST_WAIT_SECONDS * 2 ** (failures - slow_after), LONGEST_WAIT_SECONDS)


class SignInBackend(AxesStandaloneBackend):
    """Refuses sign-ins of a locked or waiting (username, address) pair; authenticates nobody
    itself (``ModelBackend`` after it does)."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None or not lockout_enabled():
            return None
        return super().authenticate(request, *args, **kwargs)


class SignInAttemptsHandler(AxesDatabaseHandler):
    """axes' database handler (attempts are rows the admin shows and deletes), switched by
    ``LOGIN_LOCKOUT_ENABLED`` and with the slow-down before the lock."""

    def is_allowed(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        if not lockout_enabled():
            return True
        if not super().is_allowed(request, credentials):
            last = self._last_failure(request, credentials)
            cool_off = get_cool_off(request) or datetime.timedelta(0)
            _refusals[request] = Refusal(
                wait=self._seconds_until(last + cool_off if last else None)
            )
            return False
        failures = self.get_failures(request, credentials)
        wait = slow_down_seconds(failures)
        if wait:
            last = self._last_failure(request, credentials)
            left = self._seconds_until(last + datetime.timedelta(seconds=wait) if last else None)
            if left > 0:
                _refusals[request] = Refusal(wait=left, slowed=True)
                return False
        return True

    def user_login_failed(self, sender: Any, credentials: dict, request: Any = None, **kw: Any):
        if lockout_enabled():
            super().user_login_failed(sender, credentials, request, **kw)

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        if lockout_enabled():
            super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        if lockout_enabled():
            super().user_logged_out(sender, request, user, **kwargs)

    def _last_failure(
        self, request: HttpRequest, credentials: dict | None
    ) -> datetime.datetime | None:
        moments = [
            attempts.aggregate(last=Max("attempt_time"))["last"]
            for attempts in self.get_user_attempts(request, credentials)
        ]
        return max((moment for moment in moments if moment is not None), default=None)

    @staticmethod
    def _seconds_until(moment: datetime.datetime | None) -> int:
        if moment is None:
            return 0
        return max(0, math.ceil((moment - timezone.now()).total_seconds()))


def _wait_text(seconds: int) -> str:
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict | None = None
) -> HttpResponse:
    """axes' ``AXES_LOCKOUT_CALLABLE``: 429, a page that says how long to wait and why."""
    cool_off = get_cool_off(request) or datetime.timedelta(0)
    # No refusal: the failure that has just locked the pair.
    refusal = _refusals.get(request) or Refusal(wait=int(cool_off.total_seconds()))
    wait = refusal.wait
    username = get_client_username(request, credentials) or ""
    if refusal.slowed:
        message = _(
            "Too many failed sign-ins for %(username)s from your address. Wait %(wait)s before "
            "you try again."
        ) % {"username": username, "wait": _wait_text(wait)}
    else:
        message = _(
            "Too many failed sign-ins for %(username)s from your address: signing in as "
            "%(username)s from here is locked for %(wait)s. Support staff can unlock it sooner "
            "in the admin (Access attempts)."
        ) % {"username": username, "wait": _wait_text(wait)}
    response = render(
        request,
        "registration/locked_out.html",
        {"message": message, "retry_path": request.path},
        status=429,
    )
    response["Retry-After"] = str(max(wait, 1))
    return response
