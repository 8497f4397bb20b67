"""What keeps one installation's Celery messages apart from another's on a shared broker."""

from __future__ import annotations


def celery_isolation(*, installation: str, broker_url: str) -> dict[str, object]:
    """Celery settings (lower-case names) giving the installation its own queue and, on Redis, its own key prefix."""
    return {"task_default_queue": installation, "broker_transport_options": transport_options(installation, broker_url)}


def transport_options(installation: str, broker_url: str) -> dict[str, object]:
    """The broker options of the installation: on Redis, every key kombu writes starts with its name."""
    if broker_url.startswith(("redis://", "rediss://")):
        return {"global_keyprefix": f"{installation}:"}
    return {}
