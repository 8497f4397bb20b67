"""Factories of the core models; personal data goes through the encrypted setter."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import timedelta

import factory
from django.utils import timezone

from breachdesk.exposure_summary import add_exposure_sets, canonical
from breachdesk.models import BreachFile, DataSubject, Incident, Organisation, OrganisationGroup, Role, User
from breachdesk.synthetic import PLACES, person, siret_for


class OrganisationGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationGroup
        django_get_or_create = ["name"]

    name = "Laboratoires du Grand Ouest"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"LAB-{n:03d}")
    kind = Organisation.Kind.CONTROLLER
    name = factory.LazyAttribute(lambda o: f"Laboratoire {o.code}")
    group = factory.SubFactory(OrganisationGroupFactory)
    siret = factory.Sequence(lambda n: siret_for(n + 1))
    address = "1 rue de la Paix\n35000 Rennes"
    sector = "Laboratoire de biologie médicale"
    dpo_name = "Claire Delegue"
    dpo_email = factory.LazyAttribute(lambda o: f"dpo@{o.code.lower()}.example.org")
    dpo_phone = "+33 2 99 00 00 00"
    dpo_address = "1 rue de la Paix\n35000 Rennes"
    legal_representative_name = "Paul Directeur"
    legal_representative_title = "Directeur"
    signatory_name = "Claire Delegue"
    signatory_title = "Déléguée à la protection des données"


class ProcessorFactory(OrganisationFactory):
    code = "VENDOR"
    kind = Organisation.Kind.PROCESSOR
    name = "Éditeur de logiciels de laboratoire"


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        django_get_or_create = ["reference"]

    reference = factory.Sequence(lambda n: f"INC-2021-{n + 1:04d}")
    title = "Fuite du fichier patients de l'éditeur"
    description = "Un fichier de patients a circulé sur internet."
    processor = factory.SubFactory(ProcessorFactory)
    processor_became_aware_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=30))
    processor_account = "Un export de migration de notre logiciel a été copié depuis un serveur de transfert."
    processor_measures = "Serveur de transfert fermé, exports supprimés, mots de passe changés."


class BreachFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BreachFile

    incident = factory.SubFactory(IncidentFactory)
    controller = factory.SubFactory(OrganisationFactory)
    became_aware_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=10))
    natures = ["confidentiality"]
    origin = "hacking"
    cause = "external_malicious"
    person_categories = ["patients"]


class DataSubjectFactory(factory.django.DjangoModelFactory):
    """A synthetic person; pass ``personal=PersonalData(...)`` to choose the values."""

    class Meta:
        model = DataSubject
        skip_postgeneration_save = True

    breach_file = factory.SubFactory(BreachFileFactory)
    # The person's exposure codes: put into the encrypted personal data, as the import stores them.
    exposures = ("identity", "contact", "nir", "hiv")

    @factory.lazy_attribute_sequence
    def personal(self, n: int):  # type: ignore[no-untyped-def]
        data, _exposures, _language = person(random.Random(n), n, PLACES[n % len(PLACES)])
        return data

    @classmethod
    def _adjust_kwargs(cls, **kwargs):  # type: ignore[no-untyped-def]
        exposures = kwargs.pop("exposures")
        kwargs["personal"] = dataclasses.replace(kwargs["personal"], exposures=list(exposures))
        return kwargs

    @factory.post_generation
    def counted(self, create: bool, extracted: object, **kwargs: object) -> None:
        # The import adds each person to the breach file's encrypted summary; a person made here is added likewise.
        if create:
            add_exposure_sets(breach_file_id=self.breach_file_id, counts=Counter([canonical(self.exposures)]))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")
    role = Role.DPO
