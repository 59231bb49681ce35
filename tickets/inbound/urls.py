"""Inbound email: the webhook for mail services, and agents' downloads."""

from django.urls import path

from tickets.inbound import views

app_name = "inbound"

urlpatterns = [
    path(
        "tickets/<int:ticket_id>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "tickets/<int:ticket_id>/messages/<int:message_id>/original/",
        views.original_email,
        name="original",
    ),
]
