"""Forms of the notification pages."""
