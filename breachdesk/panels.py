"""What the breach file page shows of other apps: panels and tabs that each app registers when it is ready.

The core app names nothing of the apps built on it; each adds itself here from its AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    url_name: str  # reversed with the incident reference and the controller code
    order: int


@dataclass(frozen=True)
class Panel:
    template: str  # included with the breach file page's context
    order: int


@dataclass(frozen=True)
class IncidentLink:
    key: str
    label: str | Promise
    url_name: str  # reversed with the incident reference
    order: int
    is_shown: Callable[[Any, Any], bool]  # given the user and the incident


@dataclass(frozen=True)
class SubjectFilter:
    """A filter of the data subject list that another app answers (e.g. the state of a person's notices)."""

    key: str  # the GET parameter: a code, never personal data
    label: str | Promise
    choices: Callable[[], Sequence[tuple[str, str | Promise]]]
    # (the breach file's subjects, the breach file, the chosen code) -> the subjects kept, in one query.
    apply: Callable[[QuerySet[Any], Any, str], QuerySet[Any]]
    order: int


@dataclass(frozen=True)
class SubjectColumn:
    """A column of the data subject list that another app fills for the rows of one page, in one query."""

    key: str
    label: str | Promise
    # (the breach file, the subject ids of the page) -> {subject id: text}
    values: Callable[[Any, list[int]], dict[int, str]]
    order: int


_tabs: dict[str, Tab] = {}
_incident_links: dict[str, IncidentLink] = {}
_panels: dict[str, Panel] = {}
_subject_panels: dict[str, Panel] = {}
_subject_filters: dict[str, SubjectFilter] = {}
_subject_columns: dict[str, SubjectColumn] = {}
_homes: dict[str, str] = {}


def register_tab(*, key: str, label: str | Promise, url_name: str, order: int) -> None:
    """Add a tab to the breach file's navigation (registering the same key again replaces it)."""
    _tabs[key] = Tab(key=key, label=label, url_name=url_name, order=order)


def register_panel(*, template: str, order: int) -> None:
    """Add a panel to the breach file page."""
    _panels[template] = Panel(template=template, order=order)


def register_incident_link(
    *, key: str, label: str | Promise, url_name: str, order: int, is_shown: Callable[[Any, Any], bool]
) -> None:
    """Add a page of another app to the incident page and to each of its breach files (shown when is_shown says)."""
    _incident_links[key] = IncidentLink(key=key, label=label, url_name=url_name, order=order, is_shown=is_shown)


def register_subject_panel(*, template: str, order: int) -> None:
    """Add a panel to the data subject page (included with its context: breach_file, subject, user)."""
    _subject_panels[template] = Panel(template=template, order=order)


def register_subject_filter(
    *,
    key: str,
    label: str | Promise,
    choices: Callable[[], Sequence[tuple[str, str | Promise]]],
    apply: Callable[[QuerySet[Any], Any, str], QuerySet[Any]],
    order: int,
) -> None:
    """Add a filter to the data subject list (registering the same key again replaces it)."""
    _subject_filters[key] = SubjectFilter(key=key, label=label, choices=choices, apply=apply, order=order)


def register_subject_column(
    *, key: str, label: str | Promise, values: Callable[[Any, list[int]], dict[int, str]], order: int
) -> None:
    """Add a column to the data subject list (registering the same key again replaces it)."""
    _subject_columns[key] = SubjectColumn(key=key, label=label, values=values, order=order)


def register_home(*, role: str, url_name: str) -> None:
    """Name the page a user whose only work is elsewhere (e.g. the mailroom) lands on."""
    _homes[role] = url_name


def tabs() -> list[Tab]:
    return sorted(_tabs.values(), key=lambda tab: tab.order)


def panels() -> list[str]:
    return [panel.template for panel in sorted(_panels.values(), key=lambda panel: panel.order)]


def home_for(role: str) -> str | None:
    return _homes.get(role)


def incident_links(user: Any, incident: Any) -> list[IncidentLink]:
    """The pages of other apps about this incident that this user may open."""
    links = sorted(_incident_links.values(), key=lambda link: link.order)
    return [link for link in links if link.is_shown(user, incident)]


def tab(key: str) -> Tab | None:
    return _tabs.get(key)


def subject_panels() -> list[str]:
    return [panel.template for panel in sorted(_subject_panels.values(), key=lambda panel: panel.order)]


def subject_filters() -> list[SubjectFilter]:
    return sorted(_subject_filters.values(), key=lambda item: item.order)


def subject_columns() -> list[SubjectColumn]:
    return sorted(_subject_columns.values(), key=lambda item: item.order)
