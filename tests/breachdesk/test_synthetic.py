"""The synthetic people of the demo and the benchmarks: valid and distinct at the 2021 case's size."""

from __future__ import annotations

import random

from stdnum.fr import nir as nir_module

from breachdesk.synthetic import PLACES, person


def test_no_two_patients_of_one_lab_share_a_nir_at_the_2021_case_size():
    # 491,840 people over 27 labs is 18,216 per lab: the demo numbers a lab's patients from place_index * 1,000,000.
    place_index = 9
    rng = random.Random(place_index)
    nirs = [person(rng, place_index * 1_000_000 + number, PLACES[place_index])[0].nir for number in range(18_216)]

    assert len(set(nirs)) == len(nirs)
    assert all(nir_module.is_valid(nir) for nir in nirs[:2000:7])


def test_the_first_thousand_patients_are_born_in_the_labs_commune():
    place = PLACES[0]
    data = person(random.Random(1), 999, place)[0]

    assert data.nir[5:10] == f"{place.department}{place.commune}"
