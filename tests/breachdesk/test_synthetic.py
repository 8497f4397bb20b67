"""The synthetic people of the demo and the benchmarks: valid and distinct at the 2021 case's size."""

from __future__ import annotations

import random
from datetime import date

from stdnum.fr import nir as nir_module

from breachdesk.synthetic import PLACES, person


def test_no_two_patients_of_one_lab_share_a_nir_at_the_2021_case_size():
    # 491,840 people over 27 labs is 18,216 per lab: the demo numbers a lab's patients from place_index * 1,000,000.
    place_index = 9
    rng = random.Random(place_index)
    nirs = [person(rng, place_index * 1_000_000 + number, PLACES[place_index])[0].nir for number in range(18_216)]

    assert len(set(nirs)) == len(nirs)
    assert all(nir_module.is_valid(nir) for nir in nirs[:2000:7])


def test_no_two_patients_of_one_lab_share_a_name_and_a_birth_date_at_the_2021_case_size():
    place_index = 26
    rng = random.Random(place_index)
    identities = []
    for number in range(18_216):
        data = person(rng, place_index * 1_000_000 + number, PLACES[place_index])[0]
        identities.append((data.last_name, data.first_name, data.birth_date))

    assert len(set(identities)) == len(identities)
    assert min(birth for _last, _first, birth in identities) >= date(1930, 1, 1)
    assert max(birth for _last, _first, birth in identities) < date(2001, 3, 10)


def test_the_first_thousand_patients_are_born_in_the_labs_commune():
    place = PLACES[0]
    data = person(random.Random(1), 999, place)[0]

    assert data.nir[5:10] == f"{place.department}{place.commune}"
