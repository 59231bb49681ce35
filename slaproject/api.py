"""The JSON API's plumbing: authentication, permissions, JSON bodies and errors.

Every endpoint is a plain function view wrapped in ``api_endpoint``. Credentials are a per-user
token (``Authorization: Token <key>``) or the session; session writes must carry the CSRF token,
token writes need not. Errors are ``{"errors": {"<field path>": ["message", …]}}`` with a 4xx
status.

The tokens are stored by the tickets app (their admin and command live there): this module
declares the lookup it needs (``ApiTokenLookup``) and ``tickets.apps`` registers it when Django
starts (``api_token_lookup_register``), so the project's plumbing never imports an app.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from slaproject.rate_limits import rate_limit_response

AGENT = "agent"
SUPER_ADMIN = "super_admin"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiError(Exception):
    """Raise inside an endpoint to answer ``{"errors": …}`` with ``status``."""

    def __init__(self, status: int, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.status = status
        self.errors = errors


def error_response(status: int, errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


class ApiCredential(Protocol):
    """A valid, active API token, as the plumbing uses it: its id (rate limits), its user, and
    how an audit log names it."""

    @property
    def pk(self) -> Any: ...

    @property
    def user(self) -> Any: ...

    @property
    def audit_label(self) -> str: ...


class ApiTokenLookup(Protocol):
    """The active token of an active user whose key is ``key``, else None; it notes the use."""

    def __call__(self, key: str, *, now: datetime.datetime) -> ApiCredential | None: ...


_token_lookup: ApiTokenLookup | None = None


def api_token_lookup_register(lookup: ApiTokenLookup) -> None:
    """Set how a key is turned into its token (``tickets.apps`` does, when Django starts)."""
    global _token_lookup
    _token_lookup = lookup


def _api_token_for_key(key: str, *, now: datetime.datetime) -> ApiCredential | None:
    if _token_lookup is None:
        raise ImproperlyConfigured("No API token lookup is registered (is tickets installed?).")
    return _token_lookup(key, now=now)


def is_agent(user: Any) -> bool:
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def is_super_admin(user: Any) -> bool:
    return bool(user.is_active and user.is_superuser)


# The request attribute that holds the token a request was authenticated with, as
# ``request.user`` holds its user (the rate limits and the audit log read it).
API_TOKEN_ATTRIBUTE = "api_token"


def request_api_token(request: HttpRequest) -> ApiCredential | None:
    """The API token ``request`` was authenticated with; None for a session or no credentials."""
    token: ApiCredential | None = getattr(request, API_TOKEN_ATTRIBUTE, None)
    return token


def _token_user(request: HttpRequest) -> tuple[Any, ApiCredential | None, bool]:
    """(user, token, had_token_header). A present but invalid token gives (None, None, True).
    A valid one is also left on ``request.api_token`` (``request_api_token``)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None, None, False
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return None, None, True
    token = _api_token_for_key(key.strip(), now=timezone.now())
    if token is None:
        return None, None, True
    setattr(request, API_TOKEN_ATTRIBUTE, token)
    return token.user, token, True


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    def get_response(_request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    middleware = CsrfViewMiddleware(get_response)
    middleware.process_request(request)
    return middleware.process_view(request, lambda r: HttpResponse(), (), {})


def _is_storable(text: str) -> bool:
    """False for text no database column can hold: a NUL, or a lone surrogate (``"\\ud800"`` is
    valid JSON but not UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unstorable_paths(data: Any, *, limit: int = 20) -> list[str]:
    """Field paths (``holidays.0.name``) of keys and strings that ``_is_storable`` refuses."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", data)]  # no recursion: bodies may nest deeply
    while stack and len(found) < limit:
        path, value = stack.pop()
        if isinstance(value, str) and not _is_storable(value):
            found.append(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else key
                if _is_storable(key):
                    stack.append((child, item))
                else:
                    found.append(child.encode("utf-8", "backslashreplace").decode())
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(found)


def json_body(request: HttpRequest) -> Any:
    """The parsed JSON body; ``ApiError`` 400/413/415 when it cannot be read, and 400 when any
    text in it could not be stored (NUL characters, lone surrogates)."""
    content_type = request.content_type or ""
    if content_type and content_type != "application/json":
        raise ApiError(415, {"": ["Send the body as JSON (Content-Type: application/json)."]})
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(413, {"": ["The body is too large."]}) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, {"": ["The body is not valid UTF-8."]}) from None
    except (ValueError, RecursionError) as exc:  # ValueError: also a number of 4,300+ digits
        raise ApiError(400, {"": [f"The body is not valid JSON: {exc}"[:200]]}) from None
    unstorable = _unstorable_paths(data)
    if unstorable:
        message = "Contains a NUL character or an unpaired surrogate, which cannot be stored."
        raise ApiError(400, {path: [message] for path in unstorable})
    return data


def api_endpoint(
    *, methods: tuple[str, ...], permission: str = AGENT
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap a view as a JSON endpoint: auth (401), permission (403), method (405), errors."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response(
                    405, {"": [f"Method {request.method} is not allowed here."]}
                )
                response["Allow"] = ", ".join(methods)
                return response
            user, token, had_token = _token_user(request)
            if token is None:
                if had_token:
                    return error_response(401, {"": ["Invalid or revoked API token."]})
                if not request.user.is_authenticated:
                    return error_response(
                        401, {"": ["Authentication required: a session or an API token."]}
                    )
                user = request.user
                if request.method in UNSAFE_METHODS and _csrf_failure(request) is not None:
                    return error_response(403, {"": ["CSRF token missing or incorrect."]})
            else:
                request.user = user
                # Token callers (channels, scripts) get a generous limit per token.
                refusal = rate_limit_response(request, scope="api_token", key=f"token:{token.pk}")
                if refusal is not None:
                    return refusal
            allowed = is_super_admin(user) if permission == SUPER_ADMIN else is_agent(user)
            if not allowed:
                who = "super admins" if permission == SUPER_ADMIN else "agents"
                return error_response(403, {"": [f"Only {who} may do this."]})
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return error_response(exc.status, exc.errors)

        return wrapper

    return decorate
