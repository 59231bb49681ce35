"""The webhooks page (``/settings/webhooks/``) and the endpoints API (``/api/webhooks/``)."""

from django.urls import path

from tickets.webhooks import api, views

app_name = "webhooks"

urlpatterns = [
    path("settings/webhooks/", views.webhooks_page, name="settings"),
    path("settings/webhooks/<int:endpoint_id>/", views.endpoint_page, name="endpoint"),
    path("settings/webhooks/<int:endpoint_id>/test/", views.endpoint_test, name="test"),
    path("settings/webhooks/<int:endpoint_id>/switch/", views.endpoint_switch, name="switch"),
    path("settings/webhooks/<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path("api/webhooks/", api.webhooks_endpoint, name="api_list"),
    path("api/webhooks/<int:endpoint_id>/", api.webhook_endpoint, name="api_detail"),
    path(
        "api/webhooks/<int:endpoint_id>/deliveries/",
        api.webhook_deliveries_endpoint,
        name="api_deliveries",
    ),
    path("api/webhooks/<int:endpoint_id>/test/", api.webhook_test_endpoint, name="api_test"),
]
