"""Questionnaire <- an instrument of the outcome library; QuestionnaireResponse <- an
outcomes.InstrumentAdministration (the patient's answers).

Questionnaires are definitions, not records: one per instrument, computed from the
library. For an instrument whose license does not let Palpa ship its text, the
Questionnaire is a skeleton: linkIds and the ordinal answer values, no item text (the
clinic supplies the licensed text). ``code`` carries a LOINC panel code only where the
library marks one verified (none today) and always Palpa's instrument code.

A QuestionnaireResponse has the administration's id, like the score's Observation
(whose ``derivedFrom`` points to it).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import cache
from importlib import resources

from palpa.fhir.mapping.common import (
    INSTRUMENT,
    JSON,
    LOINC,
    Context,
    coding,
    compact,
    instant,
    ref,
    with_meta,
)
from palpa.outcomes.library import Instrument, UnknownInstrument, get_instrument, load_library
from palpa.outcomes.models import InstrumentAdministration

PSFS_GROUP = "activity"
PSFS_NAME = "activity-name"
PSFS_RATING = "activity-rating"


def questionnaire_id(instrument_id: str) -> str:
    """``PROMIS_PI_6A`` -> ``promis-pi-6a`` (FHIR ids take no underscores)."""
    return instrument_id.lower().replace("_", "-")


def instrument_for(questionnaire: str) -> Instrument | None:
    for instrument in load_library().instruments.values():
        if questionnaire_id(instrument.id) == questionnaire:
            return instrument
    return None


def canonical(ctx: Context, instrument_id: str) -> str:
    return f"{ctx.base_url}/Questionnaire/{questionnaire_id(instrument_id)}"


def fhir_version(version: str) -> str:
    """The instrument's version as a Questionnaire ``version`` that may stand in a canonical
    reference (``url|version`` is a URI: no spaces): "Stratford 1995" -> "Stratford-1995".
    The version as the library writes it stays in the Questionnaire's text fields."""
    return re.sub(r"[^A-Za-z0-9._()-]+", "-", version.strip()).strip("-") or "1"


def link_id(instrument: Instrument, number: int) -> str:
    return f"{instrument.items.label}-{number}"


@cache
def _library_changed() -> dt.datetime:
    """When the library's data file last changed: the Questionnaires' lastUpdated."""
    path = resources.files("palpa.outcomes").joinpath("data", "instruments.json")
    return dt.datetime.fromtimestamp(os.stat(str(path)).st_mtime, tz=dt.UTC).replace(microsecond=0)


def _options(instrument: Instrument) -> list[JSON]:
    response = instrument.items.response
    return [{"valueInteger": value} for value in range(response.min, response.max + 1)]


def _items(instrument: Instrument) -> list[JSON]:
    items = instrument.items
    if items.count is None:  # the patient names the items (PSFS)
        return [
            {
                "linkId": PSFS_GROUP,
                "text": "Activity",
                "type": "group",
                "repeats": True,
                "item": [
                    {"linkId": PSFS_NAME, "text": "Activity", "type": "string", "required": True},
                    {
                        "linkId": PSFS_RATING,
                        "text": "Rating",
                        "type": "choice",
                        "answerOption": _options(instrument),
                    },
                ],
            }
        ]
    found: list[JSON] = []
    for number in range(1, items.count + 1):
        item: JSON = {"linkId": link_id(instrument, number), "type": "choice"}
        if items.text is not None and items.text_origin != "licensee":
            item["text"] = items.text[number - 1]
        item["answerOption"] = _options(instrument)
        found.append(item)
    return found


def to_fhir(instrument: Instrument, ctx: Context) -> JSON:
    codes = [
        coding(LOINC, code.code)
        for code in instrument.loinc
        if code.tag == "V" and code.part == "panel"
    ]
    codes.append(coding(INSTRUMENT, instrument.id, instrument.name))
    resource: JSON = {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(instrument.id),
        "url": canonical(ctx, instrument.id),
        "version": fhir_version(instrument.version),
        "name": "".join(ch for ch in instrument.id.title() if ch.isalnum()),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Palpa",
        "description": instrument.instructions
        if instrument.license.text_shipped and instrument.instructions
        else "",
        "copyright": instrument.license.terms,
        "code": codes,
        "item": _items(instrument),
    }
    return with_meta(compact(resource), _library_changed())


def all_questionnaires(ctx: Context) -> list[JSON]:
    return [to_fhir(i, ctx) for i in load_library().instruments.values()]


# --- QuestionnaireResponse -------------------------------------------------------------


def _answer_items(admin: InstrumentAdministration, instrument: Instrument | None) -> list[JSON]:
    answers = list(admin.answers or [])
    if instrument is not None and instrument.items.count is None:
        labels = list(admin.item_labels or [])
        groups: list[JSON] = []
        for index, value in enumerate(answers):
            name = labels[index] if index < len(labels) else f"Activity {index + 1}"
            rating: JSON = {"linkId": PSFS_RATING, "text": "Rating"}
            if value is not None:
                rating["answer"] = [{"valueInteger": int(value)}]
            groups.append(
                {
                    "linkId": PSFS_GROUP,
                    "text": "Activity",
                    "item": [
                        {
                            "linkId": PSFS_NAME,
                            "text": "Activity",
                            "answer": [{"valueString": name}],
                        },
                        rating,
                    ],
                }
            )
        return groups
    found: list[JSON] = []
    for number, value in enumerate(answers, start=1):
        if value is None:
            continue  # unanswered items are left out
        linked = link_id(instrument, number) if instrument is not None else f"item-{number}"
        item: JSON = {"linkId": linked}
        if (
            instrument is not None
            and instrument.items.text is not None
            and instrument.license.text_shipped
        ):
            item["text"] = instrument.items.text[number - 1]
        item["answer"] = [{"valueInteger": int(value)}]
        found.append(item)
    return found


def _author(admin: InstrumentAdministration) -> JSON:
    patient = admin.patient
    if admin.source == InstrumentAdministration.Source.PATIENT_LINK:
        return ref("Patient", patient.public_id, patient.full_name)
    practitioner = getattr(admin.entered_by, "practitioner", None)
    if practitioner is not None:
        return ref("Practitioner", practitioner.public_id, practitioner.display_name)
    return {"display": str(admin.entered_by)}


def response_to_fhir(admin: InstrumentAdministration, ctx: Context) -> JSON:
    try:
        instrument: Instrument | None = get_instrument(admin.instrument)
    except UnknownInstrument:
        instrument = None
    patient = admin.patient
    resource: JSON = {
        "resourceType": "QuestionnaireResponse",
        "id": str(admin.public_id),
        "questionnaire": (
            f"{canonical(ctx, admin.instrument)}|{fhir_version(admin.instrument_version)}"
        ),
        "status": "entered-in-error"
        if admin.status == InstrumentAdministration.Status.ENTERED_IN_ERROR
        else "completed",
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "authored": instant(admin.created_at),
        "author": _author(admin),
        "source": ref("Patient", patient.public_id, patient.full_name),
        "item": _answer_items(admin, instrument),
    }
    return with_meta(compact(resource), admin.updated_at)
