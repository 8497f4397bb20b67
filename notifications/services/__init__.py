"""Workflows of the notifications, one module per sub-domain (filings, campaigns, ledger, mailroom, ...)."""
