"""The JSON API as one django-ninja ``NinjaAPI`` under ``/api/``: every app's router, the
contract's error shape for every refusal, the OpenAPI 3 document at ``/api/schema/`` and its
readable docs (Swagger UI, served from the app's static files) at ``/api/docs/``."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from settings_app.api import router as settings_router
from slaproject.api import ApiError, ApiRefusal, errors_from_validation
from tickets.api import router as tickets_router
from tickets.inbound.api import router as inbound_router
from tickets.webhooks.api import router as webhooks_router

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Help desks take tickets from channels (mail gateways, chat widgets, forms) and are configured as
code: the same capabilities as the pages, over JSON.

* **Authentication**: `Authorization: Token <key>` (an agent's token: `./dev manage
  create_api_token USERNAME` prints it), or the signed-in session (writes need the CSRF token).
* **Times** are ISO 8601 in UTC. **Lists** are `{"count", "next", "previous", "results"}`, paged
  with `?page=` and `?page_size=` (1 to 100).
* **Errors** are a 4xx status with `{"errors": {"<field path>": ["message", …]}}`; nothing is
  half-saved. Messages follow `Accept-Language`; the field paths do not.
* **Idempotency**: a POST with an `Idempotency-Key` header repeated within 24 hours with the same
  body returns the first answer (`Idempotent-Replayed: true`) and creates nothing; with another
  body it is refused with 422.

The guide with curl examples: docs/API.md.
"""


class HelpDeskApi(NinjaAPI):
    def get_content_type(self) -> str:
        return "application/json"  # as the contract's clients expect it, without a charset


api = HelpDeskApi(
    title="Help desk SLA API",
    version="1",
    description=DESCRIPTION,
    openapi_url="/schema/",
    docs_url="/docs/",
    urls_namespace="api",
)
api.add_router("", tickets_router)
api.add_router("", settings_router)
api.add_router("", inbound_router)
api.add_router("", webhooks_router)


def _errors(request: HttpRequest, status: int, errors: dict[str, list[str]]) -> HttpResponse:
    return api.create_response(request, {"errors": errors}, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = _errors(request, exc.status, exc.errors)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(ApiRefusal)
def _refusal(request: HttpRequest, exc: ApiRefusal) -> HttpResponse:
    return exc.response


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """The framework's 422 is the contract's 400, with the parameter's name as the path."""
    return _errors(request, 400, errors_from_validation(exc.errors))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _errors(request, 401, {"": [_("Authentication required: a session or an API token.")]})


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _errors(request, 404, {"": [_("Not found.")]})


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _errors(request, exc.status_code, {"": [str(exc)]})


def schema() -> dict[str, Any]:
    """The OpenAPI document as served at ``/api/schema/`` (tests, schemathesis)."""
    return api.get_openapi_schema(path_prefix="/api")
