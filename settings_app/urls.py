"""Settings pages (``/settings/…``) and the settings API (``/api/sla/…``)."""

from django.urls import path
from django.views.generic import RedirectView

from settings_app import views

app_name = "settings_app"
# Sections of the settings page (ids in templates/settings_app/sla_settings.html).
TEAM_SCHEDULES = "/settings/sla/#team-schedules"
DEFAULT_HOURS = "/settings/sla/#when-card"

urlpatterns = [
    path("settings/", views.settings_home, name="home"),
    path("settings/sla/", views.sla_settings_page, name="sla"),
    path("settings/sla/audit/", views.sla_audit_page, name="audit"),
    # The pages a team's own hours and the default ones were once edited on: their schedules are
    # edited in the settings page's dialogs now, and old bookmarks land on its sections.
    path(
        "settings/sla/team-hours/<slug:slug>/",
        RedirectView.as_view(url=TEAM_SCHEDULES, permanent=True),
        name="team_hours",
    ),
    path(
        "settings/sla/default-hours/",
        RedirectView.as_view(url=DEFAULT_HOURS, permanent=True),
        name="default_hours",
    ),
    path("settings/sla/check/", views.sla_settings_check_fragment, name="check"),
    path("settings/sla/holiday-source/", views.holiday_source_fragment, name="holiday_source"),
    path("settings/sla/hours-summary/", views.hours_summary_fragment, name="hours_summary"),
    path(
        "settings/sla/dry-runs/<int:pk>/",
        views.dry_run_progress_fragment,
        name="dry_run_progress",
    ),
    path(
        "settings/sla/recomputes/<int:pk>/",
        views.recompute_progress_fragment,
        name="recompute_progress",
    ),
]
