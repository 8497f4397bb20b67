"""Benchmark the letters to data subjects: naive WeasyPrint (one document per letter) against stamped masters.

Side by side, in one run, on the same synthetic people (9 exposure profiles, French and English):
- naive: the whole letter rendered by WeasyPrint for each person (stylesheet and fonts reused), the personal zones
  written into the HTML at the same places;
- stamped: BreachDesk's way, a WeasyPrint master per (language, exposure set) rendered once per process, each copy
  personalised with a reportlab overlay and merged by pikepdf into batches of 500 (cover sheet excluded);
both include decrypting each person's data (Fernet), as the worker does; database reads are not counted.
A check compares the words of one naive and one stamped letter: the text content must be identical.

No database needed. Usage: python bench/bench_letters.py [--letters 4000] [--naive 60] [--processes 2]
Results go to stdout and bench/out/letters.json.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
TOTAL = 491_840
BATCH = 500


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachdesk.settings")
    import django

    django.setup()


def _breach_file() -> Any:
    from breachdesk.models import BreachFile, Incident, Organisation

    organisation = Organisation(
        pk=1,
        code="LAB-RENNES",
        name="Laboratoire de Rennes",
        address="1 rue de la Paix\n35000 Rennes",
        dpo_name="Claire Delegue",
        dpo_email="dpo@lab-rennes.example.org",
        dpo_phone="+33 2 99 00 00 00",
        dpo_address="1 rue de la Paix\n35000 Rennes",
        signatory_name="Claire Delegue",
        signatory_title="Déléguée à la protection des données",
    )
    incident = Incident(reference="INC-2021-0001", title="Fuite")
    return BreachFile(
        pk=1, controller=organisation, incident=incident, consequences=["identity_theft", "professional_secrecy"]
    )


def _people(count: int, seed: int) -> list[tuple[str, list[str], str, str]]:
    """(encrypted personal data, exposures, language, reference) per synthetic person."""
    from breachdesk import crypto
    from breachdesk.importing.address import build_block
    from breachdesk.synthetic import PLACES, person
    from notifications.services.references import make_reference

    people = []
    for index in range(seed, seed + count):
        data, exposures, language = person(random.Random(index), index, PLACES[index % len(PLACES)])
        if not data.address_1:
            data.address_1, data.postcode, data.city = "12 rue des Lilas", "35000", "Rennes"
        data.address_block = build_block(
            first_name=data.first_name,
            last_name=data.last_name,
            address_1=data.address_1,
            postcode=data.postcode,
            city=data.city,
        ).lines
        people.append((crypto.encrypt_json(data.to_json()), exposures, language, make_reference(1, index, "post")))
    return people


def _letter(token: str, language: str, reference: str) -> Any:
    from breachdesk import crypto
    from breachdesk.models import PersonalData
    from notifications import letters
    from notifications.services import notice_texts

    personal = PersonalData.from_json(crypto.decrypt_json(token))
    return letters.Letter(
        reference=reference, address=personal.address_block, salutation=notice_texts.salutation(personal, language)
    )


def _texts(breach_file: Any) -> dict[str, dict[str, str]]:
    from notifications.services.notice_texts import default_texts

    return {language: default_texts(breach_file, language) for language in ("fr", "en")}


def _stamped_worker(arguments: tuple[int, int]) -> dict[str, float]:
    """Render `count` letters in batches of 500, as one Celery worker process would."""
    count, seed = arguments
    _setup_django()
    from django.utils import timezone

    from notifications import letters
    from notifications.pdf import DocumentInfo

    breach_file = _breach_file()
    texts = _texts(breach_file)
    window = letters.Window.for_stock("dl-window-right")
    people = _people(count, seed)
    # The masters: once per (language, exposure set) and process, whatever the number of letters.
    masters_started = time.perf_counter()
    masters = {}
    for _token, exposures, language, _reference in people:
        key = (language, tuple(exposures))
        if key not in masters:
            masters[key] = letters.render_master(
                breach_file=breach_file,
                language=language,
                exposures=exposures,
                texts=texts[language],
                letter_date=timezone.localdate(),
                window=window,
            )
    masters_seconds = time.perf_counter() - masters_started
    started = time.perf_counter()
    pages = 0
    for start in range(0, count, BATCH):
        batch = []
        for token, exposures, language, reference in people[start : start + BATCH]:
            master = masters[(language, tuple(exposures))]
            batch.append((_letter(token, language, reference), master, language))
        info = DocumentInfo(title=f"Lot LAB-RENNES-{start // BATCH + 1:04d}", author=breach_file.controller.name)
        rendered = letters.stamp(batch, window, info=info)
        pages += rendered.pages
    elapsed = time.perf_counter() - started
    return {
        "letters": count,
        "seconds": elapsed,
        "pages": pages,
        "peak_rss_mb": _peak_rss_mb(),
        "masters": len(masters),
        "masters_seconds": masters_seconds,
    }


def _naive_html(breach_file: Any, texts: dict[str, str], exposures: list[str], language: str, letter: Any) -> str:
    """The full letter as one HTML document: the master's template, with the personal zones written in."""
    from django.template.loader import render_to_string
    from django.utils import timezone, translation
    from django.utils.html import escape
    from django.utils.translation import pgettext

    from breachdesk.formats import typeset, typeset_html
    from notifications import letters

    window = letters.Window.for_stock("dl-window-right")
    context = letters.master_context(
        breach_file=breach_file,
        language=language,
        exposures=exposures,
        texts=texts,
        letter_date=timezone.localdate(),
        window=window,
    )
    with translation.override(language):
        html = typeset_html(render_to_string("notifications/pdf/letter_master.html", context), language)
        reference_line = typeset(pgettext("letter", "Reference: %(reference)s"), language) % {
            "reference": letter.reference
        }
    address = "<br>".join(escape(line) for line in letter.address)
    personal = (
        f'<div style="position:absolute;top:{window.top + 3}mm;left:{window.left + 3 - 20}mm;font-size:10pt;'
        f'line-height:1.2">{address}</div>'
        f'<div style="position:absolute;top:{letters.REFERENCE_TOP - 3}mm;left:0;font-size:9pt">'
        f"{escape(reference_line)}</div>"
        f'<div style="position:absolute;top:{letters.SALUTATION_TOP - 4}mm;left:0;font-size:10.5pt">'
        f"{escape(letter.salutation)}</div>"
    )
    return html.replace("</body>", personal + "</body>")


def _naive_worker(arguments: tuple[int, int]) -> dict[str, float]:
    """Render `count` letters one WeasyPrint document each (stylesheet and fonts reused across documents)."""
    count, seed = arguments
    _setup_django()
    from notifications.pdf import render_html

    breach_file = _breach_file()
    texts = _texts(breach_file)
    people = _people(count, seed)
    render_html("<p>warm-up</p>")
    started = time.perf_counter()
    for token, exposures, language, reference in people:
        letter = _letter(token, language, reference)
        render_html(_naive_html(breach_file, texts[language], exposures, language, letter))
    elapsed = time.perf_counter() - started
    return {"letters": count, "seconds": elapsed, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(worker: Any, letters_per_process: int, processes: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        results = pool.map(worker, [(letters_per_process, 100_000 * index) for index in range(processes)])
    wall = time.perf_counter() - started
    total = letters_per_process * processes
    slowest = max(result["seconds"] for result in results)
    masters = {}
    if "masters" in results[0]:
        masters = {
            "masters_per_process": max(result["masters"] for result in results),
            "masters_seconds_per_process": round(max(result["masters_seconds"] for result in results), 2),
        }
    return {
        **masters,
        "processes": processes,
        "letters": total,
        "seconds": round(slowest, 2),
        "wall_seconds_with_start_up": round(wall, 2),
        "letters_per_second": round(total / slowest, 1),
        "ms_per_letter_per_process": round(1000 * slowest / letters_per_process, 2),
        "hours_for_491840": round(TOTAL / (total / slowest) / 3600, 2),
        "minutes_for_491840": round(TOTAL / (total / slowest) / 60, 1),
        "peak_rss_mb_per_worker": round(max(result["peak_rss_mb"] for result in results), 1),
    }


def _same_text() -> bool:
    """Compare the words of one letter rendered both ways."""
    _setup_django()
    from django.utils import timezone
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    from notifications import letters
    from notifications.pdf import DocumentInfo, render_html

    breach_file = _breach_file()
    texts = _texts(breach_file)
    token, exposures, language, reference = _people(1, 7)[0]
    letter = _letter(token, language, reference)
    window = letters.Window.for_stock("dl-window-right")
    master = letters.render_master(
        breach_file=breach_file,
        language=language,
        exposures=exposures,
        texts=texts[language],
        letter_date=timezone.localdate(),
        window=window,
    )
    stamped = letters.stamp([(letter, master, language)], window, info=DocumentInfo(title="Lot", author="Lab")).content
    naive = render_html(_naive_html(breach_file, texts[language], exposures, language, letter)).content

    def words(content: bytes) -> list[str]:
        return sorted(extract_text(io.BytesIO(content), laparams=LAParams(all_texts=True)).split())

    # The stamped letter repeats the reference in each page's footer; the naive one does not.
    stamped_words = words(stamped)
    naive_words = words(naive)
    extra = list(stamped_words)
    for word in naive_words:
        if word in extra:
            extra.remove(word)
    footer = {reference, "Référence", "Reference", ":"}
    return all(word in footer for word in extra) and len(extra) < len(naive_words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=4000, help="stamped letters in all (default 4000)")
    parser.add_argument("--naive", type=int, default=60, help="naive letters per process (default 60)")
    parser.add_argument("--processes", type=int, default=2)
    options, _unknown = parser.parse_known_args(argv)
    processes = options.processes
    print(f"letters: naive {options.naive}/process and stamped {options.letters} on {processes} processes", flush=True)
    identical = _same_text()
    naive_one = _run(_naive_worker, options.naive, 1)
    naive = _run(_naive_worker, options.naive, processes)
    stamped_one = _run(_stamped_worker, options.letters // processes, 1)
    stamped = _run(_stamped_worker, options.letters // processes, processes)
    result = {
        "identical_text": identical,
        "naive_1_process": naive_one,
        "naive": naive,
        "stamped_1_process": stamped_one,
        "stamped": stamped,
        "speed_up": round(stamped["letters_per_second"] / naive["letters_per_second"], 1),
        "cpu_count": os.cpu_count(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "letters.json").write_text(json.dumps(result, indent=2))
    print(f"  same text naive vs stamped: {identical}")
    for name in ("naive_1_process", "naive", "stamped_1_process", "stamped"):
        row = result[name]
        print(
            f"  {name:18} {row['processes']} proc: {row['letters_per_second']:>8} letters/s, "
            f"{row['ms_per_letter_per_process']} ms/letter/process, 491,840 in {row['hours_for_491840']} h "
            f"({row['minutes_for_491840']} min), peak RSS {row['peak_rss_mb_per_worker']} MB/worker"
            + (
                f", plus {row['masters_per_process']} masters in {row['masters_seconds_per_process']} s/process"
                if "masters_per_process" in row
                else ""
            )
        )
    print(f"  speed-up stamped vs naive on {processes} processes: {result['speed_up']}x (target >= 20x)")
    return 0 if identical and result["speed_up"] >= 20 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
