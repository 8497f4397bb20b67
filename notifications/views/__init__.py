"""Pages of the notifications: adapters that check access, call one service and render."""
