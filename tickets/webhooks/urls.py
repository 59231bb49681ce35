"""The webhooks page (``/settings/webhooks/``); the endpoints API (``/api/webhooks/``) is a router
of the project's API (``tickets.webhooks.api``, mounted by ``slaproject.api_site``)."""

from django.urls import path

from tickets.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("settings/webhooks/", views.webhooks_page, name="settings"),
    path("settings/webhooks/<int:endpoint_id>/", views.endpoint_page, name="endpoint"),
    path("settings/webhooks/<int:endpoint_id>/test/", views.endpoint_test, name="test"),
    path("settings/webhooks/<int:endpoint_id>/switch/", views.endpoint_switch, name="switch"),
    path("settings/webhooks/<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
]
