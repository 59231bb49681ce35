"""The email settings page (``/settings/email/``)."""

from django.urls import path

from tickets.outbound import views

app_name = "outbound"

urlpatterns = [
    path("settings/email/", views.email_settings_page, name="settings"),
    path("settings/email/test/", views.email_test, name="test"),
]
