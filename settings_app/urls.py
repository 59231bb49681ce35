"""Settings pages (``/settings/…``) and the settings API (``/api/sla/…``)."""

from django.urls import path

from settings_app import views

app_name = "settings_app"

urlpatterns = [
    path("settings/", views.settings_home, name="home"),
    path("settings/sla/", views.sla_settings_page, name="sla"),
    path("settings/sla/audit/", views.sla_audit_page, name="audit"),
    path("settings/sla/team-hours/<slug:slug>/", views.team_hours_page, name="team_hours"),
    path("settings/sla/default-hours/", views.default_hours_page, name="default_hours"),
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
