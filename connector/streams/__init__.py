"""One stream per Graph collection: mail-folder delta and calendarView delta."""

from connector.streams.base import Page, Stream, Window
from connector.streams.calendar import CalendarViewStream
from connector.streams.mail import MailFolderStream

__all__ = ["CalendarViewStream", "MailFolderStream", "Page", "Stream", "Window"]
