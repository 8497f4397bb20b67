"""The address to review: a person imported with an address that cannot be printed gets no letter until corrected."""

from __future__ import annotations

import dataclasses

from breachdesk.importing.address import BlockProblem, build_block
from breachdesk.importing.messages import deferred as _
from breachdesk.models import DataSubject
from breachdesk.models.subjects import is_postally_reachable


def clear_address_review(*, subject: DataSubject) -> list[BlockProblem]:
    """Rebuild the postal block from the subject's (corrected) address; clear the flag when it prints, else keep it."""
    personal = subject.personal
    if not is_postally_reachable(address_1=personal.address_1, postcode=personal.postcode, city=personal.city):
        problems = [
            BlockProblem(
                "address_1", "address_incomplete", _("A letter needs a street line, a postcode and a locality.")
            )
        ]
        subject.address_needs_review = True
        subject.save(update_fields=["address_needs_review"])
        return problems
    block = build_block(
        first_name=personal.first_name,
        last_name=personal.last_name,
        address_1=personal.address_1,
        address_2=personal.address_2,
        address_3=personal.address_3,
        postcode=personal.postcode,
        city=personal.city,
        country=subject.country,
    )
    if block.problems:
        subject.address_needs_review = True
        subject.save(update_fields=["address_needs_review"])
        return block.problems
    # The personal setter recomputes the indexes and has_postal_address from the new block.
    subject.personal = dataclasses.replace(personal, address_block=block.lines)
    subject.address_needs_review = False
    subject.save(update_fields=[*DataSubject.SET_WITH_PERSONAL, "address_needs_review"])
    return []
