"""The JSON API's plumbing on django-ninja: authentication, permissions, JSON bodies, paging and
the one error shape.

Credentials are a per-user token (``Authorization: Token <key>``) or the session; session writes
must carry the CSRF token, token writes need not (``ApiAuth``). Errors are
``{"errors": {"<field path>": ["message", …]}}`` with a 4xx status: an endpoint raises
``ApiError``; the framework's own refusals (query parameters that do not parse, a wrong method,
an unknown path under ``/api/``) are turned into the same shape here (``errors_from_validation``,
``ApiJsonErrorsMiddleware``). The ``NinjaAPI`` itself, with every app's router, is built in
``slaproject.api_site``.

The tokens are stored by the API's own app (``tickets.api_auth``, with their admin and command):
this module declares the lookup it needs (``ApiTokenLookup``) and that app registers it when
Django starts (``api_token_lookup_register``), so the project's plumbing never imports an app.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import urlencode

from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.security.base import AuthBase

from slaproject.rate_limits import rate_limit_response

AGENT = "agent"
SUPER_ADMIN = "super_admin"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


class ApiError(Exception):
    """Raise inside an endpoint (or its auth) to answer ``{"errors": …}`` with ``status``."""

    def __init__(
        self, status: int, errors: dict[str, list[str]], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(str(errors))
        self.status = status
        self.errors = errors
        self.headers = headers or {}


class ApiRefusal(Exception):
    """Raise with a finished response (the rate limit's 429 with ``Retry-After``)."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def answer(data: Any, status: int = 200) -> JsonResponse:
    """An endpoint's answer, written as it is. The operation's response schema documents it;
    it is not validated again at run time (that cost 1-5 ms a page and would turn any drift into
    a 500): tests/slaproject/test_api_schemathesis.py checks the answers against the document."""
    return JsonResponse(data, status=status, safe=False)


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
    """Set how a key is turned into its token (``tickets.api_auth.apps`` does, when Django
    starts)."""
    global _token_lookup
    _token_lookup = lookup


def _api_token_for_key(key: str, *, now: datetime.datetime) -> ApiCredential | None:
    if _token_lookup is None:
        raise ImproperlyConfigured(
            "No API token lookup is registered (is tickets.api_auth installed?)."
        )
    return _token_lookup(key, now=now)


def is_agent(user: Any) -> bool:
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def is_super_admin(user: Any) -> bool:
    return bool(user.is_active and user.is_superuser)


# --- Schemas every endpoint shares (the OpenAPI document names them) -------------------------


class Errors(Schema):
    """Every refusal: field path -> messages; "" for the request as a whole."""

    errors: dict[str, list[str]] = Field(
        ..., examples=[{"goals.0.close_minutes": ["Must be a whole number of minutes."]}]
    )


def error_responses(*statuses: int) -> dict[int, type[Schema]]:
    """The ``response=`` entries of the given error statuses (401, 403 and 429 come with auth)."""
    return {status: Errors for status in (*statuses, 401, 403, 429)}


# --- Authentication and permissions ----------------------------------------------------------


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


class ApiAuth(AuthBase):
    """An agent's (or a super admin's) API token, ``Authorization: Token <key>``, or the session
    (writes with the CSRF token). 401 without valid credentials, 403 for the wrong role, 429 over
    the token's rate limit (``RATE_LIMITS["api_token"]``)."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "Authorization"
    openapi_description = (
        "`Token <key>` (python manage.py create_api_token USERNAME), or a signed-in session "
        "(writes then need the CSRF token)."
    )

    def __init__(self, permission: str = AGENT) -> None:
        self.permission = permission
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        user, token, had_token = _token_user(request)
        if token is None:
            if had_token:
                raise ApiError(401, {"": [_("Invalid or revoked API token.")]})
            if not request.user.is_authenticated:
                message = _("Authentication required: a session or an API token.")
                raise ApiError(401, {"": [message]})
            user = request.user
            if request.method in UNSAFE_METHODS and _csrf_failure(request) is not None:
                raise ApiError(403, {"": [_("CSRF token missing or incorrect.")]})
        else:
            request.user = user
            # Token callers (channels, scripts) get a generous limit per token.
            refusal = rate_limit_response(
                request,
                scope="api_token",
                key=f"token:{token.pk}",
            )
            if refusal is not None:
                raise ApiRefusal(refusal)
        if self.permission == SUPER_ADMIN:
            if not is_super_admin(user):
                raise ApiError(403, {"": [_("Only super admins may do this.")]})
        elif not is_agent(user):
            raise ApiError(403, {"": [_("Only agents may do this.")]})
        return user


agent_auth = ApiAuth(AGENT)
super_admin_auth = ApiAuth(SUPER_ADMIN)


# --- Bodies ----------------------------------------------------------------------------------


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
        raise ApiError(415, {"": [_("Send the body as JSON (Content-Type: application/json).")]})
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(413, {"": [_("The body is too large.")]}) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, {"": [_("The body is not valid UTF-8.")]}) from None
    except (ValueError, RecursionError) as exc:  # ValueError: also a number of 4,300+ digits
        message = _("The body is not valid JSON: %(reason)s") % {"reason": exc}
        raise ApiError(400, {"": [message[:200]]}) from None
    unstorable = _unstorable_paths(data)
    if unstorable:
        message = _("Contains a NUL character or an unpaired surrogate, which cannot be stored.")
        raise ApiError(400, {path: [message] for path in unstorable})
    return data


def json_request_body(schema: type[Schema], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body by ``schema``. The body itself is read and
    checked by the endpoint (``json_body`` and its parsers), which carry the contract's messages
    and field paths; the schema tells callers (and schemathesis) its shape."""
    body_schema = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    body_schema.pop("$defs", None)
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": body_schema}},
        }
    }


# --- Lists -----------------------------------------------------------------------------------


PAGE_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "description": "Page number, from 1; a page past the last is a 404.",
        "schema": {"type": "integer", "minimum": 1, "default": 1},
    },
    {
        "name": "page_size",
        "in": "query",
        "required": False,
        "description": f"Items per page, 1 to {MAX_PAGE_SIZE} ({PAGE_SIZE} by default).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
    },
]


def _whole_number(request: HttpRequest, name: str, default: int, maximum: int | None) -> int:
    text = request.GET.get(name, "")
    if text == "":
        return default
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit():
        raise ApiError(400, {name: [_("Must be a whole number.")]})
    value = int(digits) if len(digits) <= 30 else 10**30  # past any page or limit
    if text.startswith("-") or value < 1:
        raise ApiError(400, {name: [_("Must be at least %(minimum)s.") % {"minimum": 1}]})
    if maximum is not None and value > maximum:
        raise ApiError(400, {name: [_("Must be at most %(maximum)s.") % {"maximum": maximum}]})
    return value


def page_params(request: HttpRequest) -> tuple[int, int]:
    """(page, page_size) of ``?page=`` and ``?page_size=``: 400 naming each that is not a whole
    number in range (never silently clamped)."""
    errors: dict[str, list[str]] = {}
    values = []
    for name, default, maximum in (("page", 1, None), ("page_size", PAGE_SIZE, MAX_PAGE_SIZE)):
        try:
            values.append(_whole_number(request, name, default, maximum))
        except ApiError as exc:
            errors.update(exc.errors)
    if errors:
        raise ApiError(400, errors)
    return values[0], values[1]


def page_of(
    request: HttpRequest,
    queryset: Any,
    *,
    paginator_class: type[Paginator] = Paginator,
    **paginator_kwargs: Any,
) -> Page:
    """The page that ``?page=`` and ``?page_size=`` ask for (``page_params``); 404 past the
    last page."""
    number, size = page_params(request)
    paginator = paginator_class(queryset, size, **paginator_kwargs)
    try:
        return paginator.page(number)
    except (EmptyPage, PageNotAnInteger):
        raise ApiError(404, {"page": [_("No such page.")]}) from None


def form_parameters(form_class: Any) -> list[dict[str, Any]]:
    """OpenAPI query parameters from a Django form's fields: the form is the one definition of a
    list's filters; choices fixed in the form are listed as the parameter's values."""
    parameters = []
    for name, field in form_class.base_fields.items():
        schema: dict[str, Any] = {"type": "string"}
        choices = [str(value) for value, _label in getattr(field, "choices", []) if value != ""]
        if choices:
            schema["enum"] = choices
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": str(field.help_text or field.label or name),
                "schema": schema,
            }
        )
    return parameters


def _page_url(request: HttpRequest, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(request.path) + "?" + urlencode(params, doseq=True)


def paged(request: HttpRequest, page: Page, results: list[Any]) -> dict[str, Any]:
    """``{"count", "next", "previous", "results"}`` of ``page``."""
    return {
        "count": page.paginator.count,
        "next": _page_url(request, page.next_page_number()) if page.has_next() else None,
        "previous": (
            _page_url(request, page.previous_page_number()) if page.has_previous() else None
        ),
        "results": results,
    }


# --- The framework's refusals in the contract's shape ----------------------------------------


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return _("Must be a whole number.")
    if kind == "greater_than_equal" and "ge" in context:
        return _("Must be at least %(minimum)s.") % {"minimum": context["ge"]}
    if kind == "less_than_equal" and "le" in context:
        return _("Must be at most %(maximum)s.") % {"maximum": context["le"]}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("literal_error", "enum"):
        expected = context.get("expected", "")
        return _("Must be one of: %(choices)s.") % {"choices": expected}
    return str(error.get("msg", _("Invalid value.")))


def errors_from_validation(errors: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """The framework's validation errors as the contract's field paths: ``loc`` without its
    first part (``query``, ``path``, ``body``), joined with dots."""
    found: dict[str, list[str]] = {}
    for error in errors:
        location = [str(part) for part in error.get("loc", ())[1:]]
        if location and location[0] in ("filters", "paging"):  # the Query schema's own name
            location = location[1:]
        found.setdefault(".".join(location), []).append(_validation_message(error))
    return found


JSON_ERRORS = {
    404: lambda request: _("No such address in the API: %(path)s") % {"path": request.path[:200]},
    405: lambda request: _("Method %(method)s is not allowed here.") % {"method": request.method},
}


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _method_order(method: str) -> tuple[int, str]:
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


class ApiJsonErrorsMiddleware:
    """Every answer under ``/api/`` is JSON: Django's and the framework's own 404 and 405 pages
    (an unknown address, a method an endpoint does not take) become ``{"errors": …}``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in JSON_ERRORS
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            message = JSON_ERRORS[response.status_code](request)
            replaced = error_response(response.status_code, {"": [message]})
            if "Allow" in response:  # in a fixed order (the framework's is a set's)
                allowed = {method.strip() for method in response["Allow"].split(",")}
                replaced["Allow"] = ", ".join(sorted(allowed, key=_method_order))
            return replaced
        return response
