"""The URL map: pages, the JSON API, sign-in, the Django admin and ``/healthz``."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from slaproject.api_site import api
from slaproject.health.views import healthz


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page that names none (the admin's): the static
    file, under its hashed name in production."""
    return HttpResponseRedirect(static("favicon.ico"))


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tickets:queue", permanent=False), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("favicon.ico", favicon, name="favicon"),
    # The API tokens' admin moved with their app (tickets -> apiauth, issue 20): old bookmarks
    # and links still find it.
    re_path(
        r"^admin/tickets/apitoken/(?P<rest>.*)$",
        RedirectView.as_view(
            url="/admin/apiauth/apitoken/%(rest)s", permanent=True, query_string=True
        ),
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    # The language picker of signed-out pages (POST language=en|sv; a cookie remembers it).
    path("i18n/", include("django.conf.urls.i18n")),
    # static/js's strings in the page's language (django.gettext and friends).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("settings_app.urls")),
    path("", include("tickets.outbound.urls")),
    path("", include("tickets.urls")),
    path("", include("tickets.inbound.urls")),
    path("", include("tickets.webhooks.urls")),
]
