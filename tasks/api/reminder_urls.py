"""Routes of reminders (issue 6)."""

from django.urls import path

from .reminder_views import ReminderView

urlpatterns = [path("reminders/", ReminderView.as_view(), name="reminders")]
