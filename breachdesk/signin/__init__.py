"""Signing in: lockout, the second factor, password rules and how long a session lasts."""
