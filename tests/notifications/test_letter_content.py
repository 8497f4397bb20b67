"""What letters and emails say, read from the rendered PDF and the built message (issue 11)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from django.utils import timezone

from breachdesk.formats import NO_BREAK_SPACE, french_typography, letter_date, of_name, typeset_html
from breachdesk.models import DataSubject
from breachdesk.taxonomy import AdolescentAddressee, SensitiveDetail
from notifications import emails, letters
from notifications.models import Campaign, Notice, UnreachableSubject
from notifications.services import campaigns, mailroom, notice_texts
from tests.notifications.campaign_fixtures import decide_to_inform, make_subjects, pdf_lines

pytestmark = pytest.mark.django_db

# Sentences of the French letter and of the demo's French texts: none may appear in an English letter or email.
FRENCH_MARKERS = (
    "Madame",
    "Monsieur",
    "données",
    "nous avons",
    "vous",
    "délégué",
    "Référence",
    "secret médical",
    "Déléguée",
    "Ce qui s'est passé",
    "éditeur",
    "prestataire",
)


def _years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return date(today.year - years, today.month, min(today.day, 28)) - timezone.timedelta(days=days)


def _person(breach_file, index, *, birth=None, exposures=None, email=True, post=True, language="fr", **changes):
    subject = make_subjects(breach_file, 1, start=index, email=email, post=post, exposures=exposures, language=language)
    subject = DataSubject.objects.filter(breach_file=breach_file).order_by("-pk").first()
    personal = subject.personal
    if birth is not None:
        personal = replace(personal, birth_date=birth)
    personal = replace(personal, **{k: v for k, v in changes.items() if k != "has_confidential_care"})
    subject.personal = personal
    subject.has_confidential_care = changes.get("has_confidential_care", False)
    subject.save()
    return subject


def _decide_for_everyone(breach_file, user) -> None:
    """Inform every risk level, as the CNIL required in 2021 (low-risk persons are told too)."""
    decide_to_inform(breach_file, user, levels=["low", "medium", "high", "very_high"])


def _launch(breach_file, user):
    campaigns.launch_campaign(breach_file=breach_file, user=user, channels="post,email")
    campaign = Campaign.objects.get(breach_file=breach_file)
    batches = mailroom.build_print_batches(campaign_id=campaign.pk)
    return campaign, batches


def _letter_pages(batches, reference: str) -> list[str]:
    """The text of each page of the letter with this reference, from the batch PDFs."""
    for batch in batches:
        pages = pdf_lines(mailroom.read_batch_pdf(batch))
        position = len(pages) - sum(batch.notices.values_list("pages", flat=True))
        for notice in batch.notices.order_by("postcode", "pk"):
            if notice.reference == reference:
                return ["\n".join(line.text for line in page) for page in pages[position : position + notice.pages]]
            position += notice.pages
    raise AssertionError(f"no letter {reference}")


def _email_text(campaign: Campaign, notice: Notice) -> str:
    """The text part of a notice's email (its HTML part says the same)."""
    return emails.Composer(campaign).message(notice).body


def test_a_child_under_15_is_told_through_a_letter_to_the_legal_representatives_and_gets_no_email(breach_file, lab_dpo):
    child = _person(breach_file, 1, birth=_years_ago(9), email=True, post=True)
    adult = _person(breach_file, 2, birth=_years_ago(40), email=True, post=True)
    decide_to_inform(breach_file, lab_dpo)

    _campaign, batches = _launch(breach_file, lab_dpo)

    child_notices = Notice.objects.filter(subject=child)
    assert [(n.channel, n.addressee) for n in child_notices] == [("post", Notice.Addressee.REPRESENTATIVES)]
    assert child_notices.get().reference.split("-")[2].startswith("R")
    assert sorted(Notice.objects.filter(subject=adult).values_list("channel", flat=True)) == ["email", "post"]
    pages = _letter_pages(batches, child_notices.get().reference)
    first = pages[0]
    assert first.index("Aux représentants légaux de") < first.index(child.personal.last_name.upper())
    assert "représentant légal de l'enfant" in first.replace("\n", " ")
    assert "concernant votre enfant" in first


def test_a_child_with_only_an_email_is_listed_unreachable_not_emailed(breach_file, lab_dpo):
    child = _person(breach_file, 1, birth=_years_ago(12), email=True, post=False)
    decide_to_inform(breach_file, lab_dpo)

    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post,email")

    assert not Notice.objects.filter(subject=child).exists()
    assert (
        UnreachableSubject.objects.get(subject=child).reason == UnreachableSubject.Reason.MINOR_WITHOUT_POSTAL_ADDRESS
    )


def test_minors_of_15_to_17_need_the_dpos_recorded_choice_and_both_get_one_letter_each(breach_file, lab_dpo):
    teenager = _person(breach_file, 1, birth=_years_ago(16), email=True, post=True)
    teenager.age_group = "adolescent"
    teenager.save(update_fields=["age_group"])
    decide_to_inform(breach_file, lab_dpo)

    with pytest.raises(campaigns.CampaignRefused, match="15 à 17"):
        campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post,email")
    with pytest.raises(Exception, match="pourquoi"):
        campaigns.record_letter_choices(
            breach_file=breach_file,
            adolescent_addressee=AdolescentAddressee.BOTH,
            reason="",
            sensitive_detail=SensitiveDetail.OMIT,
            user=lab_dpo,
        )
    campaigns.record_letter_choices(
        breach_file=breach_file,
        adolescent_addressee=AdolescentAddressee.BOTH,
        reason="Des adolescents suivis pour des tests : ils lisent et leurs parents aussi.",
        sensitive_detail=SensitiveDetail.OMIT,
        user=lab_dpo,
    )
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post,email")

    assert sorted(Notice.objects.filter(subject=teenager).values_list("channel", "addressee")) == [
        ("email", "subject"),
        ("post", "representatives"),
        ("post", "subject"),
    ]
    assert breach_file.events.filter(kind="letter_choices_recorded").exists()


def test_a_minor_whose_care_is_confidential_is_told_personally_with_the_categories_only(breach_file, lab_dpo):
    minor = _person(
        breach_file, 1, birth=_years_ago(14), exposures=["identity", "contact", "hiv"], has_confidential_care=True
    )
    breach_file.sensitive_detail = SensitiveDetail.INNER_PAGE
    breach_file.save(update_fields=["sensitive_detail"])
    decide_to_inform(breach_file, lab_dpo)

    _campaign, batches = _launch(breach_file, lab_dpo)

    post = Notice.objects.get(subject=minor, channel="post")
    assert post.addressee == Notice.Addressee.SUBJECT
    assert Notice.objects.filter(subject=minor, channel="email").exists()
    text = "\n".join(_letter_pages(batches, post.reference))
    assert "Données de santé" in text
    assert "VIH" not in text and "représentants légaux" not in text
    assert "Confidentiel" not in text


def test_an_hiv_status_is_never_on_page_1_and_is_left_out_by_default(breach_file, lab_dpo):
    person = _person(breach_file, 1, birth=_years_ago(50), exposures=["identity", "contact", "nir", "hiv"])
    decide_to_inform(breach_file, lab_dpo)
    texts = notice_texts.notice_texts(breach_file)["fr"]

    default = pdf_lines(
        letters.render_preview(breach_file=breach_file, language="fr", exposures=person.exposures, texts=texts)
    )
    breach_file.sensitive_detail = SensitiveDetail.INNER_PAGE
    inside = pdf_lines(
        letters.render_preview(breach_file=breach_file, language="fr", exposures=person.exposures, texts=texts)
    )

    def page_texts(pages):
        return ["\n".join(line.text for line in page) for page in pages]

    assert all("VIH" not in page for page in page_texts(default))
    assert "Données de santé" in page_texts(default)[0]
    assert "ne détaille pas" in page_texts(default)[0].replace("\n", " ")
    inner = page_texts(inside)
    assert "VIH" not in inner[0] and "Données de santé" in inner[0]
    assert "Statut VIH" in inner[-1] and "Confidentiel" in inner[-1]


def test_identity_and_contact_alone_bring_no_medical_secrecy_nor_identity_theft_sentence(breach_file, lab_dpo):
    light = _person(breach_file, 1, birth=_years_ago(30), exposures=["identity", "contact"])
    heavy = _person(breach_file, 2, birth=_years_ago(30), exposures=["identity", "contact", "nir", "hiv"])
    _decide_for_everyone(breach_file, lab_dpo)

    campaign, batches = _launch(breach_file, lab_dpo)

    light_letter = " ".join(_letter_pages(batches, Notice.objects.get(subject=light, channel="post").reference))
    heavy_letter = " ".join(_letter_pages(batches, Notice.objects.get(subject=heavy, channel="post").reference))
    light_email = _email_text(campaign, Notice.objects.get(subject=light, channel="email"))
    heavy_email = _email_text(campaign, Notice.objects.get(subject=heavy, channel="email"))
    for light_text in (light_letter.replace("\n", " "), light_email):
        assert "secret médical" not in light_text
        assert "FICOBA" not in light_text and "usurpation" not in light_text
        assert "hameçonnage" in light_text
    for heavy_text in (heavy_letter.replace("\n", " "), heavy_email):
        assert heavy_text.count("secret médical") == 1
        assert "FICOBA" in heavy_text
    assert "VIH" not in heavy_email


def test_an_english_letter_and_email_hold_no_french(breach_file, lab_dpo):
    lab = breach_file.controller
    lab.signatory_title_en = "Data protection officer"
    lab.save(update_fields=["signatory_title_en"])
    english = _person(
        breach_file,
        1,
        birth=_years_ago(35),
        language="en",
        exposures=["identity", "contact", "nir", "hiv"],
        title="mme",
    )
    decide_to_inform(breach_file, lab_dpo)

    campaign, batches = _launch(breach_file, lab_dpo)

    post = Notice.objects.get(subject=english, channel="post")
    letter = "\n".join(_letter_pages(batches, post.reference))
    message = _email_text(campaign, Notice.objects.get(subject=english, channel="email"))
    for text in (letter, message):
        found = [marker for marker in FRENCH_MARKERS if marker in text]
        assert found == [], found
        assert re.search(r"Dear Ms [A-Z]", text)
        assert "Data protection officer" in text
    assert f"Reference: {post.reference}" in letter
    assert lab.signatory_title not in letter


def test_french_letters_follow_french_typography(breach_file, lab_dpo):
    person = _person(breach_file, 1, birth=_years_ago(60), title="m")
    decide_to_inform(breach_file, lab_dpo)

    _campaign, batches = _launch(breach_file, lab_dpo)

    text = "\n".join(_letter_pages(batches, Notice.objects.get(subject=person, channel="post").reference))
    assert "Monsieur," in text and "Bonjour" not in text
    # The stamped reference line never wraps; the letter's own text carries the no-break spaces.
    assert f"Objet{NO_BREAK_SPACE}:" in text
    assert f"Courriel{NO_BREAK_SPACE}:" in text
    assert letter_date(date(2026, 12, 1), "fr") == "1er décembre 2026"
    assert letter_date(date(2026, 12, 2), "en") == "2 December 2026"
    assert of_name("Laboratoire de Rennes") == "du Laboratoire de Rennes"
    assert of_name("Hôpital Nord") == "de l'Hôpital Nord"
    assert of_name("Clinique Saint-Yves") == "de la Clinique Saint-Yves"
    assert of_name("Angers") == "d'Angers"
    assert of_name("Le Mans") == "du Mans"
    assert french_typography("Attention! Voir https://www.cnil.fr : « ici »") == (
        f"Attention{NO_BREAK_SPACE}! Voir https://www.cnil.fr{NO_BREAK_SPACE}: «{NO_BREAK_SPACE}ici{NO_BREAK_SPACE}»"
    )


def test_a_condition_naming_no_category_is_refused_with_its_line(breach_file, lab_dpo):
    values = notice_texts.default_texts(breach_file, "fr")
    values["advice"] += "\n[santé] Parlez-en à votre médecin."

    with pytest.raises(Exception, match="Ligne 6"):
        campaigns.save_notice_text(breach_file=breach_file, language="fr", values=values, user=lab_dpo)


def test_a_childs_returned_letter_never_becomes_an_email_to_the_child(breach_file, lab_dpo):
    child = _person(breach_file, 1, birth=_years_ago(10), email=True, post=True)
    decide_to_inform(breach_file, lab_dpo)
    _campaign, batches = _launch(breach_file, lab_dpo)
    for batch in batches:
        mailroom.mark_batch_printed(batch=batch, user=None)
        mailroom.mark_batch_posted(batch=batch, user=None, posted_on=timezone.localdate())
    letter = Notice.objects.get(subject=child)

    mailroom.record_returned_letter(
        reference=letter.reference, user=None, organisations=breach_file.controller.__class__.objects.all()
    )

    assert list(Notice.objects.filter(subject=child).values_list("channel", flat=True)) == ["post"]
    assert UnreachableSubject.objects.filter(subject=child, reason=UnreachableSubject.Reason.ALL_FAILED).exists()


def test_a_child_who_turned_15_since_the_import_still_needs_the_dpos_choice(breach_file, lab_dpo):
    teenager = _person(breach_file, 1, birth=_years_ago(15, days=3), email=True, post=True)
    teenager.age_group = "child"  # as the import saw them, before their birthday
    teenager.save(update_fields=["age_group"])
    decide_to_inform(breach_file, lab_dpo)

    with pytest.raises(campaigns.CampaignRefused, match="15 à 17"):
        campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post,email")
    assert not Campaign.objects.exists()


def test_a_child_left_out_of_an_email_only_launch_is_reached_when_letters_are_added(breach_file, lab_dpo):
    child = _person(breach_file, 1, birth=_years_ago(9), email=True, post=True)
    decide_to_inform(breach_file, lab_dpo)

    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="email")
    assert UnreachableSubject.objects.get(subject=child).reason == UnreachableSubject.Reason.NO_CHANNEL_CHOSEN
    campaigns.launch_campaign(breach_file=breach_file, user=lab_dpo, channels="post")

    assert not UnreachableSubject.objects.filter(subject=child).exists()
    assert list(Notice.objects.filter(subject=child).values_list("addressee", flat=True)) == ["representatives"]


def test_typography_sets_text_only_never_styles_scripts_or_entities():
    document = (
        "<html><head><style>p { color: red; }</style></head><body><style>b { color: red; }</style>"
        "<p>Attention : &lt;b&gt; ici !</p><script>if (a > b) { f(); }</script></body></html>"
    )

    set_document = typeset_html(document, "fr")

    assert "<style>b { color: red; }</style>" in set_document
    assert "<script>if (a > b) { f(); }</script>" in set_document
    assert f"<p>Attention{NO_BREAK_SPACE}: &lt;b&gt; ici{NO_BREAK_SPACE}!</p>" in set_document
    assert typeset_html(document, "en") == document
