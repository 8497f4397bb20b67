"""Pages of the core app: adapters that check access, call a service and render."""
