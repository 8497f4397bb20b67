"""The subject list of a big breach file: pages read by id, exact page numbers, filters an index answers (issue 14)."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models.expressions import Col
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from breachdesk import subject_search
from breachdesk.models import DataSubject
from breachdesk.pagination import KeyPaginator
from tests.notifications.campaign_fixtures import decide_to_inform, make_subjects

pytestmark = pytest.mark.django_db


def list_url(breach_file) -> str:
    return reverse("subject_list", args=[breach_file.incident.reference, breach_file.controller.code])


def _columns(node) -> set[str]:
    """The columns of the subject table a WHERE clause names (the semi-joins of other apps aside)."""
    found: set[str] = set()
    for child in getattr(node, "children", []):
        found |= _columns(child)
    for expression in getattr(node, "get_source_expressions", lambda: [])():
        if isinstance(expression, Col) and expression.target.model is DataSubject:
            found.add(expression.target.column)
        elif expression is not None:
            found |= _columns(expression)
    return found


def test_a_key_paginator_gives_the_same_pages_as_django_s_paginator(breach_file):
    make_subjects(breach_file, 23, email=True)
    make_subjects(breach_file, 9, start=23, email=False)
    chosen = DataSubject.objects.filter(breach_file=breach_file, has_email=True).order_by("pk")

    plain, keyed = Paginator(chosen, 5, orphans=2), KeyPaginator(chosen, 5, orphans=2)

    assert (keyed.count, keyed.num_pages) == (plain.count, plain.num_pages) == (23, 5)
    for number in plain.page_range:
        assert list(keyed.page(number)) == list(plain.page(number))
    assert list(keyed.get_page(99)) == list(plain.get_page(99))


def test_the_last_page_of_the_subject_list_reads_no_person_s_data_before_it(client, lab_dpo, breach_file):
    make_subjects(breach_file, 120)
    client.force_login(lab_dpo)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(list_url(breach_file) + "?page=3")

    assert [row.subject.pk for row in response.context["rows"]] == list(
        DataSubject.objects.filter(breach_file=breach_file).order_by("pk").values_list("pk", flat=True)[100:]
    )
    assert response.context["page"].paginator.num_pages == 3
    reading_tokens = [query["sql"] for query in captured.captured_queries if "personal_token" in query["sql"]]
    assert reading_tokens and not any("OFFSET" in sql for sql in reading_tokens)


def test_every_filter_of_the_subject_list_on_the_subject_table_is_answered_by_the_list_index(breach_file, lab_dpo):
    make_subjects(breach_file, 3)
    decide_to_inform(breach_file, lab_dpo)
    index = next(index for index in DataSubject._meta.indexes if index.name == "subject_list")
    covered = {DataSubject._meta.get_field(name).column for name in index.fields}
    levels = subject_search.RiskLevels(breach_file)
    form = subject_search.SubjectFilterForm()
    for name in ("reachability", "channel", "risk", "language"):
        for value, _label in form.fields[name].choices:
            if value:
                chosen = subject_search.find_subjects(
                    breach_file=breach_file, query="", filters={name: value}, levels=levels
                )
                assert _columns(chosen.query.where) <= covered, (name, value)
