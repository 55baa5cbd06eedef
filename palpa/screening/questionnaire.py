"""The patient's health questions (questionnaire ``palpa-intake-2``) and how each answer
becomes intake facts (docs/screening.md). Pure: no database.

The questions are in plain words for a patient on a phone. A red-flag answer counts even
if the patient did not say they have back (or neck) pain: a tick is never ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

VERSION = "palpa-intake-2"

LOW_BACK_FLAGS: list[tuple[str, str]] = [
    ("bladder_dysfunction", "New trouble passing urine, or leaking urine, since the pain began"),
    ("bowel_incontinence", "Losing control of your bowels"),
    ("saddle_numbness", "Numbness or tingling around your bottom, genitals or inner thighs"),
    ("leg_weakness", "Weakness in your legs that is severe or getting worse"),
    ("gait_disturbance", "New trouble walking"),
    ("bilateral_sciatica", "Pain shooting down both legs"),
    ("first_episode", "This is the first time you have had back pain like this"),
    ("unexplained_weight_loss", "Losing weight without trying"),
    ("night_pain", "Pain at night that does not ease when you change position"),
    ("failure_to_improve", "No better after about a month of treatment"),
    ("pain_at_several_sites", "Pain in several places in your body"),
    ("fever_or_chills", "Fever, chills or shivering fits"),
    ("iv_drug_use", "Injecting drugs"),
    ("recent_bacterial_infection", "An infection treated with antibiotics in the last few weeks"),
    ("penetrating_wound", "A deep cut or puncture wound in your back"),
    ("major_trauma", "A serious injury, such as a car accident or a bad fall"),
    ("minor_trauma", "A small fall, bump or strain just before the pain began"),
    ("structural_deformity", "A change in the shape of your spine"),
    (
        "central_pain_eased_lying",
        "Severe pain in the middle of your back that eases when you lie down",
    ),
]

NECK_FLAGS: list[tuple[str, str]] = [
    ("trauma", "An injury to your head or neck before the pain began"),
    ("gait_balance_loss", "Losing your balance, or new trouble walking"),
    ("hand_clumsiness", "Clumsy hands (dropping things, trouble with buttons)"),
    ("bilateral_limb_symptoms", "Numbness, tingling or weakness in both arms or both legs"),
    ("bowel_bladder_change", "A change in your bladder or bowel control"),
    ("dizziness", "Dizziness"),
    ("swallowing_difficulty", "Trouble swallowing"),
    ("nystagmus", "Your eyes jerking or flickering"),
    ("nausea", "Feeling sick (nausea)"),
    ("numbness", "Numbness in your face, arms or legs"),
    ("new_severe_headache", "A new, severe headache"),
    ("fever_or_chills", "Fever, chills or shivering fits"),
    ("unexplained_weight_loss", "Losing weight without trying"),
    ("night_pain", "Pain at night that does not ease when you change position"),
]

# Warning signs of a stroke, TIA or neck artery dissection: asked of everyone (they are an
# emergency whatever the pain), recorded as facts of ``red_flags.neck``.
STROKE_SIGNS: list[tuple[str, str]] = [
    ("speech_difficulty", "New trouble speaking, or slurred speech"),
    (
        "one_sided_weakness",
        "New numbness or weakness of your face, or of an arm or leg on one side",
    ),
    ("double_vision", "Seeing double"),
    ("drop_attacks", "Falling suddenly without warning"),
    ("loss_of_coordination", "New loss of coordination: your arms or legs do not do what you want"),
    ("sudden_severe_headache", "A sudden, very severe headache, the worst you have ever had"),
]

BP_SYMPTOMS: list[tuple[str, str]] = [
    ("chest_pain", "Chest pain"),
    ("shortness_of_breath", "Shortness of breath"),
    ("neurological_signs", "New confusion, weakness, numbness or trouble speaking"),
    ("vision_change", "A change in your vision"),
    ("severe_headache", "A severe headache"),
]

# Places a patient can name, in their words (codes of the default rule set's regions).
PLACES: list[tuple[str, str]] = [
    ("left_lower_limb", "Left leg"),
    ("right_lower_limb", "Right leg"),
    ("left_upper_limb", "Left arm"),
    ("right_upper_limb", "Right arm"),
    ("left_foot", "Left foot"),
    ("right_foot", "Right foot"),
    ("left_hand", "Left hand"),
    ("right_hand", "Right hand"),
    ("left_shoulder", "Left shoulder"),
    ("right_shoulder", "Right shoulder"),
    ("neck", "Neck"),
    ("upper_back", "Upper back"),
    ("low_back", "Low back"),
    ("chest", "Chest or breast"),
    ("abdomen", "Belly"),
    ("pelvis", "Hips and buttocks"),
    ("head", "Head"),
    ("face", "Face"),
]

CLOT_CHOICES: list[tuple[str, str]] = [
    ("", "No"),
    ("past", "Yes, in the past"),
    ("current", "Yes, and I am being treated for it now"),
    ("suspected", "I have swelling, warmth and pain in one leg (or arm) now"),
]
CANCER_CHOICES: list[tuple[str, str]] = [
    ("", "No"),
    ("under_treatment", "Yes, and I am having treatment now"),
    ("active", "Yes, and I am not having treatment for it now"),
    ("remission", "Yes, it is in remission"),
    ("past", "Yes, in the past; my treatment has finished"),
]
CONDITIONS: list[tuple[str, str]] = [
    ("heart_failure", "Heart failure"),
    ("kidney_failure", "Kidney failure, or I have dialysis"),
    ("hypertension_uncontrolled", "High blood pressure that is not under control"),
    ("osteoporosis", "Osteoporosis (thin bones)"),
    ("fragility_fracture", "I have broken a bone in a minor fall"),
    ("diabetic_neuropathy", "Numbness in my feet from diabetes"),
    ("foot_ulcers", "Sores or ulcers on my feet that are slow to heal"),
    ("rheumatoid_arthritis", "Rheumatoid arthritis"),
    ("lupus", "Lupus"),
    ("arthritis_flare", "My joints are hot and swollen right now (a flare)"),
    ("bleeding_disorder", "A bleeding disorder (for example haemophilia)"),
    ("immunosuppression", "A weak immune system"),
    ("fever", "A fever, or an infection that makes me feel unwell all over"),
]
PREGNANCY_COMPLICATIONS: list[tuple[str, str]] = [
    ("bleeding", "Bleeding"),
    ("pre_eclampsia", "High blood pressure in pregnancy (pre-eclampsia)"),
    ("placental_problem", "A problem with the placenta"),
    ("other", "Another problem my midwife or doctor is watching"),
]


class MissingDetail(ValueError):
    """An answer the rules need was not given. Nothing is invented in its place: the
    intake form asks for it before the answers get here (``IntakeForm.clean``)."""

    def __init__(self, answer: str, what: str) -> None:
        super().__init__(f"{answer}: the answers do not say {what}")
        self.answer = answer


def _missing(answer: str, what: str) -> list[str]:
    raise MissingDetail(answer, what)


def _places(answers: Mapping[str, Any], key: str) -> list[str]:
    return [code for code, _ in PLACES if code in (answers.get(key) or [])]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def facts_from_answers(answers: Mapping[str, Any], *, as_of: dt.date) -> dict[str, Any]:
    """Intake facts from the questionnaire's cleaned answers (the form's field names)."""
    facts: dict[str, Any] = {"as_of": as_of.isoformat()}
    conditions: list[dict[str, Any]] = []
    medications: list[dict[str, Any]] = []
    ticked = set(answers.get("conditions") or [])

    # Medicines
    thinner = str(answers.get("blood_thinner_name") or "").strip()
    if answers.get("blood_thinner") or thinner:  # a name written counts as taking it
        if not thinner:
            raise MissingDetail("blood_thinner_name", "which blood thinner")
        medications.append({"name": thinner[:100], "kind": "anticoagulant"})
    if answers.get("antiplatelet"):
        medications.append({"name": "aspirin or clopidogrel", "kind": "antiplatelet"})
    if answers.get("steroid"):
        medications.append({"name": "steroid tablets", "kind": "corticosteroid"})
    if answers.get("immunosuppressant"):
        medications.append({"name": "immune-suppressing medicine", "kind": "immunosuppressant"})
    for name in str(answers.get("other_medicines") or "").replace("\n", ",").split(","):
        if name.strip():
            medications.append({"name": name.strip()[:100], "kind": "other"})

    # Blood clots
    clot = answers.get("clot") or ""
    if clot:
        entry: dict[str, Any] = {
            "code": "dvt",
            "status": clot,
            "regions": _places(answers, "clot_where") or _missing("clot_where", "where"),
        }
        if answers.get("clot_when"):
            entry["onset"] = _iso(answers["clot_when"])
        conditions.append(entry)

    # Conditions
    simple = {
        "heart_failure": "heart_failure",
        "kidney_failure": "kidney_failure",
        "rheumatoid_arthritis": "rheumatoid_arthritis",
        "lupus": "lupus",
        "bleeding_disorder": "bleeding_disorder",
        "immunosuppression": "immunosuppression",
        "fever": "fever",
    }
    flare = ["flare"] if "arthritis_flare" in ticked else []
    for key, code in simple.items():
        if key in ticked:
            qualifiers = flare if code in ("rheumatoid_arthritis", "lupus") else []
            conditions.append({"code": code, **({"qualifiers": qualifiers} if qualifiers else {})})
    if "arthritis_flare" in ticked and not ticked & {"rheumatoid_arthritis", "lupus"}:
        conditions.append({"code": "inflammatory_arthritis", "qualifiers": ["flare"]})
    if "hypertension_uncontrolled" in ticked:
        conditions.append({"code": "hypertension", "qualifiers": ["uncontrolled"]})
    if ticked & {"osteoporosis", "fragility_fracture"}:
        fracture = ["prior_fragility_fracture"] if "fragility_fracture" in ticked else []
        conditions.append(
            {"code": "osteoporosis", **({"qualifiers": fracture} if fracture else {})}
        )
    if ticked & {"diabetic_neuropathy", "foot_ulcers"}:
        ulcers = ["ulcers"] if "foot_ulcers" in ticked else []
        conditions.append(
            {"code": "diabetic_neuropathy", **({"qualifiers": ulcers} if ulcers else {})}
        )
    for key, code in (
        ("swelling_where", "oedema_of_unknown_cause"),
        ("lymphedema_where", "lymphedema"),
        ("varicose_where", "varicose_veins"),
        ("skin_where", "undiagnosed_lesion"),
    ):
        places = _places(answers, key)
        if places:
            conditions.append({"code": code, "regions": places})

    # Cancer, surgery, devices
    cancer = answers.get("cancer") or ""
    if cancer:
        entry = {"status": cancer, "metastatic": bool(answers.get("cancer_spread"))}
        if answers.get("cancer_treatment_ended"):
            entry["treatment_ended"] = _iso(answers["cancer_treatment_ended"])
        facts["cancer"] = [entry]
    nodes = _places(answers, "lymph_nodes_where")
    if nodes:
        facts["lymph_node_removal"] = [{"region": r} for r in nodes]
    if answers.get("surgery_when"):
        where = _places(answers, "surgery_where") or _missing("surgery_where", "where")
        facts["surgeries"] = [{"region": r, "date": _iso(answers["surgery_when"])} for r in where]
    devices: list[dict[str, Any]] = [
        {"kind": "port", "region": r} for r in _places(answers, "port_where")
    ]
    devices += [
        {"kind": "other", "region": r, "note": "a pacemaker, stimulator or pump"}
        for r in _places(answers, "device_where")
    ]
    if devices:
        facts["devices"] = devices

    # Blood pressure: a reading with the day it was measured (today's counts as today's)
    if answers.get("bp_systolic") is not None and answers.get("bp_diastolic") is not None:
        reading: dict[str, Any] = {
            "systolic": answers["bp_systolic"],
            "diastolic": answers["bp_diastolic"],
            "measured_on": _iso(answers.get("bp_measured_on") or as_of),
        }
        symptoms = [c for c, _ in BP_SYMPTOMS if c in (answers.get("bp_symptoms") or [])]
        if symptoms:
            reading["symptoms"] = symptoms
        facts["blood_pressure"] = reading

    # Pregnancy
    if answers.get("pregnant"):
        pregnancy: dict[str, Any] = {
            "complications": list(answers.get("pregnancy_complications") or [])
        }
        if answers.get("pregnancy_weeks") is not None:
            pregnancy["weeks"] = answers["pregnancy_weeks"]
        facts["pregnancy"] = pregnancy

    # Red flags: asked when the patient has the pain, and kept if any is ticked anyway.
    red_flags: dict[str, Any] = {}
    for pain, key, flags in (
        ("low_back_pain", "low_back", LOW_BACK_FLAGS),
        ("neck_pain", "neck", NECK_FLAGS),
    ):
        chosen = [code for code, _ in flags if code in (answers.get(f"{key}_flags") or [])]
        if answers.get(pain) or chosen:
            red_flags[key] = dict.fromkeys(chosen, True)
    # Stroke warning signs are asked of everyone; they are facts of red_flags.neck.
    signs = [code for code, _ in STROKE_SIGNS if code in (answers.get("stroke_signs") or [])]
    if signs:
        red_flags.setdefault("neck", {}).update(dict.fromkeys(signs, True))
    if red_flags:
        facts["red_flags"] = red_flags

    if conditions:
        facts["conditions"] = conditions
    if medications:
        facts["medications"] = medications
    return facts


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def answers_from_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The questionnaire's answers that give these facts back: a re-screen starts from the
    patient's previous answers, to confirm or change. Facts the questions cannot express
    (entered by staff, e.g. an INR reported unstable) are left out, and so is the blood
    pressure, which is measured again on the day."""
    answers: dict[str, Any] = {}
    ticked: list[str] = []
    others: list[str] = []
    for medicine in facts.get("medications") or []:
        kind = medicine.get("kind")
        if kind == "anticoagulant":
            answers["blood_thinner"] = True
            answers["blood_thinner_name"] = str(medicine.get("name") or "")
        elif kind == "antiplatelet":
            answers["antiplatelet"] = True
        elif kind == "corticosteroid":
            answers["steroid"] = True
        elif kind == "immunosuppressant":
            answers["immunosuppressant"] = True
        elif kind == "other" and medicine.get("name"):
            others.append(str(medicine["name"]))
    if others:
        answers["other_medicines"] = ", ".join(others)
    simple = {
        "heart_failure",
        "kidney_failure",
        "bleeding_disorder",
        "immunosuppression",
        "fever",
    }
    for condition in facts.get("conditions") or []:
        code = condition.get("code")
        qualifiers = set(condition.get("qualifiers") or [])
        regions = list(condition.get("regions") or [])
        if code == "dvt":
            answers["clot"] = condition.get("status") or ""
            answers["clot_where"] = regions
            answers["clot_when"] = _date(condition.get("onset"))
        elif code in simple:
            ticked.append(code)
        elif code in ("rheumatoid_arthritis", "lupus"):
            ticked.append(code)
            if "flare" in qualifiers:
                ticked.append("arthritis_flare")
        elif code == "inflammatory_arthritis" and "flare" in qualifiers:
            ticked.append("arthritis_flare")
        elif code == "hypertension" and "uncontrolled" in qualifiers:
            ticked.append("hypertension_uncontrolled")
        elif code == "osteoporosis":
            ticked.append("osteoporosis")
            if "prior_fragility_fracture" in qualifiers:
                ticked.append("fragility_fracture")
        elif code == "diabetic_neuropathy":
            ticked.append("diabetic_neuropathy")
            if "ulcers" in qualifiers:
                ticked.append("foot_ulcers")
        else:
            for key, fact_code in (
                ("swelling_where", "oedema_of_unknown_cause"),
                ("lymphedema_where", "lymphedema"),
                ("varicose_where", "varicose_veins"),
                ("skin_where", "undiagnosed_lesion"),
            ):
                if code == fact_code:
                    answers[key] = [*answers.get(key, []), *regions]
    if ticked:
        answers["conditions"] = [code for code, _ in CONDITIONS if code in ticked]
    cancers = facts.get("cancer") or []
    if cancers:
        cancer = cancers[0]
        answers["cancer"] = cancer.get("status") or ""
        answers["cancer_spread"] = bool(cancer.get("metastatic"))
        answers["cancer_treatment_ended"] = _date(cancer.get("treatment_ended"))
    nodes = [n.get("region") for n in facts.get("lymph_node_removal") or [] if n.get("region")]
    if nodes:
        answers["lymph_nodes_where"] = nodes
    surgeries = facts.get("surgeries") or []
    if surgeries:
        answers["surgery_when"] = _date(surgeries[0].get("date"))
        answers["surgery_where"] = [s.get("region") for s in surgeries if s.get("region")]
    for device in facts.get("devices") or []:
        key = "port_where" if device.get("kind") == "port" else "device_where"
        if device.get("region"):
            answers[key] = [*answers.get(key, []), device["region"]]
    pregnancy = facts.get("pregnancy")
    if pregnancy:
        answers["pregnant"] = True
        answers["pregnancy_complications"] = list(pregnancy.get("complications") or [])
        if pregnancy.get("weeks") is not None:
            answers["pregnancy_weeks"] = pregnancy["weeks"]
    red_flags = facts.get("red_flags") or {}
    stroke = {code for code, _ in STROKE_SIGNS}
    if "low_back" in red_flags:
        answers["low_back_pain"] = True
        answers["low_back_flags"] = [c for c, on in red_flags["low_back"].items() if on]
    neck = red_flags.get("neck") or {}
    neck_flags = [c for c, on in neck.items() if on and c not in stroke]
    if neck_flags or ("neck" in red_flags and not set(neck) & stroke):
        answers["neck_pain"] = True
        answers["neck_flags"] = neck_flags
    signs = [c for c, on in neck.items() if on and c in stroke]
    if signs:
        answers["stroke_signs"] = signs
    return answers
