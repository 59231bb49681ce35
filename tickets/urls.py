"""Agents' pages (``/tickets/…``) and the public request form. The ticket API is under
``/api/`` (``slaproject.api_site``)."""

from django.urls import path

from tickets import report_views, views

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.queue, name="queue"),
    path("tickets/rows/", views.queue_rows, name="queue_rows"),
    path("tickets/profile/", views.profile, name="profile"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("tickets/<int:ticket_id>/live/", views.ticket_live, name="live"),
    path("tickets/<int:ticket_id>/leave/", views.ticket_leave, name="leave"),
    path("tickets/<int:ticket_id>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<int:ticket_id>/properties/", views.ticket_properties, name="properties"),
    path("tickets/<int:ticket_id>/close/", views.ticket_close_view, name="close"),
    path("tickets/<int:ticket_id>/reopen/", views.ticket_reopen_view, name="reopen"),
    path("request/", views.request_form, name="request"),
    path("request/thanks/", views.request_thanks, name="request_thanks"),
]

# The SLA compliance report (tickets/report_views.py).
urlpatterns += [
    path("reports/sla/", report_views.sla_report, name="sla_report"),
    path("reports/sla/export.csv", report_views.sla_report_csv, name="sla_report_csv"),
]
