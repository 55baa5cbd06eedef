"""The demo clinic's fixed data. Everything here is invented; dates are relative to today."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEMO_SLUG = "harbor-demo"
DEMO_PASSWORD = "palpa-demo-2026"

ORGANIZATION = {
    "name": "Harbor Medical Massage",
    "slug": DEMO_SLUG,
    "time_zone": "America/New_York",
}

LOCATIONS: list[dict[str, Any]] = [
    {
        "name": "Harbor Clinic Downtown",
        "kind": "clinic",
        "address_line1": "412 Water Street, Suite 210",
        "city": "Tampa",
        "region": "FL",
        "postal_code": "33602",
        "phone": "+1 813 555 0140",
        "time_zone": "America/New_York",
        "rooms": [
            ("Room 1", "hydraulic table"),
            ("Room 2", "hydraulic table, lymphedema pump"),
            ("Room 3", "standard table"),
        ],
    },
    {
        "name": "Harbor Wellness Spa",
        "kind": "medical_spa",
        "address_line1": "88 Beach Drive NE",
        "city": "St. Petersburg",
        "region": "FL",
        "postal_code": "33701",
        "phone": "+1 727 555 0188",
        "time_zone": "America/New_York",
        "rooms": [("Suite A", "heated table"), ("Suite B", "heated table, hot stones")],
    },
]

# (email, full name, role, license: (type, number, issued days ago, expires in days) or None)
STAFF = [
    ("owner@harbor.example", "Alex Morgan", "owner", None),
    ("therapist@harbor.example", "Maya Chen", "therapist", ("LMT", "MA88213", 1460, 640)),
    ("jordan@harbor.example", "Jordan Ellis", "therapist", ("LMT", "MA90417", 700, 45)),
    ("sofia@harbor.example", "Sofia Ramirez", "therapist", ("LMT", "MA91562", 400, 330)),
    ("daniel@harbor.example", "Daniel Brooks", "therapist", ("LMT", "MA77304", 800, -12)),
    ("frontdesk@harbor.example", "Priya Natarajan", "front_desk", None),
    ("biller@harbor.example", "Sam Okafor", "biller", None),
]
CREDENTIALS = {
    "Maya Chen": "LMT",
    "Jordan Ellis": "LMT",
    "Sofia Ramirez": "LMT, CLT",
    "Daniel Brooks": "LMT",
}
# Nine-digit NPI stems; the check digit is computed.
PRACTITIONER_NPI = {"Maya Chen": "164839201", "Sofia Ramirez": "175920384"}

PHYSICIANS: list[dict[str, str]] = [
    {
        "given_name": "Laura",
        "family_name": "Bennett",
        "credentials": "MD",
        "npi9": "138274650",
        "practice": "Bayshore Orthopedics",
        "address": "2100 Bayshore Blvd, Tampa, FL 33606",
        "phone": "+1 813 555 0192",
        "fax": "+1 813 555 0193",
        "secure_email": "referrals@bayshore-ortho.example",
        "preferred_delivery": "secure_email",
    },
    {
        "given_name": "Marcus",
        "family_name": "Oyelaran",
        "credentials": "DO",
        "npi9": "149385761",
        "practice": "Westshore Family Medicine",
        "address": "455 N Westshore Blvd, Tampa, FL 33609",
        "phone": "+1 813 555 0171",
        "fax": "+1 813 555 0172",
        "secure_email": "",
        "preferred_delivery": "fax",
    },
    {
        "given_name": "Helen",
        "family_name": "Kowalski",
        "credentials": "MD",
        "npi9": "150496872",
        "practice": "Suncoast Oncology & Lymphedema Center",
        "address": "901 4th St N, St. Petersburg, FL 33701",
        "phone": "+1 727 555 0120",
        "fax": "+1 727 555 0121",
        "secure_email": "care@suncoast-onc.example",
        "preferred_delivery": "secure_email",
    },
]

GIVEN = [
    "Olivia",
    "James",
    "Ana",
    "Robert",
    "Grace",
    "Luis",
    "Emily",
    "Thomas",
    "Mei",
    "David",
    "Fatima",
    "Michael",
    "Hannah",
    "Carlos",
    "Chloe",
    "William",
    "Aisha",
    "Daniel",
    "Rosa",
    "Kevin",
    "Nora",
    "Andre",
    "Julia",
    "Peter",
    "Leila",
    "Samuel",
    "Irene",
    "Victor",
    "Beatriz",
    "George",
]
FAMILY = [
    "Rivera",
    "Thompson",
    "Souza",
    "Nguyen",
    "Patel",
    "Hernandez",
    "Walsh",
    "Kim",
    "Okonkwo",
    "Schmidt",
    "Haddad",
    "O'Brien",
    "Fischer",
    "Morales",
    "Dubois",
    "Carter",
    "Mensah",
    "Lopez",
    "Ivanova",
    "Brown",
    "Lindqvist",
    "Jackson",
    "Rossi",
    "Yamamoto",
    "Farah",
    "Cohen",
    "Papadopoulos",
    "Silva",
    "Costa",
    "Anderson",
]
STREETS = [
    "Palm Ave",
    "Bay St",
    "Magnolia Dr",
    "Cypress Ln",
    "Harbor View Rd",
    "Orange Blvd",
    "Pelican Way",
    "Sunset Dr",
    "Gulf Blvd",
    "Heron Ct",
]
CITIES = [
    ("Tampa", "33606"),
    ("Tampa", "33611"),
    ("St. Petersburg", "33704"),
    ("Clearwater", "33755"),
    ("Brandon", "33511"),
    ("Largo", "33770"),
]
LANGUAGES = ["en", "en", "en", "es", "en", "pt-BR", "en", "vi", "en", "es"]
RELATIONS = ["spouse", "daughter", "son", "partner", "sister", "friend", "mother"]
ALLERGIES = [
    ("Nut oils (almond, walnut)", "hives", "moderate"),
    ("Latex", "rash", "mild"),
    ("Lavender essential oil", "headache", "mild"),
]

# Courses of care, one per kind of complaint: the initial evaluation (what the therapist
# found), the plan of care (techniques, home program) and the treatment-note template.
# Techniques are (technique, region, side, minutes, pressure, tool). Pain map entries are
# (region, side, intensity above or below the patient's NPRS, quality, note); palpation
# (region, side, tone, tenderness 0-3, trigger points found, count, texture); ROM
# (joint, motion, side, instrument, position): the goal's measurement (degrees from the
# patient's trajectory) and one other, with its degrees; special tests (name, side,
# result, note). Diagnoses are codes of the bundled ICD-10-CM subset.
NOTE_COURSES: list[dict[str, Any]] = [
    {
        "complaint": "low back pain after long drives",
        "onset_weeks": 13,  # "started three months ago"
        "chief_complaint": "Low back pain, worse after driving more than half an hour, "
        "spreading into the left buttock.",
        "history": "Started three months ago with a new sales job and long drives; no injury. "
        "No numbness or weakness in the legs, no change in bladder or bowel. Ibuprofen helps "
        "a little. Sleeps through the night.",
        "posture": "Increased lumbar lordosis; pelvis level; guards the left hip when standing "
        "on the left leg.",
        "pain_map": [
            ("low_back", "", 0, "aching", "Worse after driving"),
            ("gluteal", "left", -1, "dull", ""),
        ],
        "palpation": [
            ("low_back", "", "hypertonic", 2, True, 3, "Ropey paraspinals, L3 to L5"),
            ("gluteal", "left", "hypertonic", 2, True, 2, "Taut band in gluteus medius"),
        ],
        "rom": [
            ("thoracolumbar_spine", "flexion", "midline", "inclinometer", "standing"),
        ],
        "rom_other": (
            "thoracolumbar_spine",
            "extension",
            "midline",
            "inclinometer",
            "standing",
            20,
        ),
        "special_tests": [
            ("Straight leg raise", "left", "negative", "Hamstring stretch only, no leg pain"),
            ("Straight leg raise", "right", "negative", ""),
        ],
        "diagnoses": ["M54.50", "M62.830"],
        "instrument": "ODI",
        "psfs": ["Driving for an hour", "Putting on socks and shoes"],
        "goals": {
            "instrument": "Less disability from the back pain in daily life: the Oswestry "
            "index improves by at least a clinically meaningful amount.",
            "rom": "Bend forward far enough to reach the shoes without pain.",
            "psfs": "Drive for an hour to a client without stopping because of the back.",
        },
        "techniques": [
            ("myofascial_release", "low_back", "", 20, "moderate", "none"),
            ("trigger_point", "gluteal", "left", 10, "firm", "massage_ball"),
            ("stretching", "hip", "left", 8, "light", "none"),
        ],
        "home": "Ball against the wall for the left glute, 2 minutes, twice a day.",
        "home_care": [
            {
                "kind": "self_massage",
                "instructions": "Massage ball between the left buttock and a wall; roll slowly "
                "and rest on tender spots.",
                "frequency": "2 minutes, twice a day",
                "tool": "massage_ball",
            },
            {
                "kind": "stretch",
                "instructions": "Knee-to-chest and figure-four stretch lying on the back.",
                "frequency": "30 seconds each side, morning and evening",
            },
            {
                "kind": "posture",
                "instructions": "Stop every 45 minutes on long drives; lumbar roll in the car.",
                "frequency": "every drive",
            },
        ],
    },
    {
        "complaint": "neck and shoulder tension from desk work",
        "onset_weeks": None,  # builds through the week: no onset the patient can name
        "chief_complaint": "Neck and right shoulder tension with headaches at the end of the "
        "working day.",
        "history": "Eight to nine hours a day at a laptop. Tension builds through the week; "
        "headaches at the back of the head two or three times a week. No numbness or tingling "
        "in the arms, no dizziness, no injury.",
        "posture": "Forward head posture and rounded shoulders; right shoulder held higher.",
        "pain_map": [
            ("neck", "", 0, "aching", ""),
            ("shoulder", "right", -1, "stiff", "Top of the shoulder"),
            ("head", "", -2, "dull", "Headache at the base of the skull"),
        ],
        "palpation": [
            ("neck", "", "hypertonic", 2, True, 2, "Suboccipitals dense"),
            ("shoulder", "right", "hypertonic", 3, True, 4, "Upper trapezius taut bands"),
            ("upper_back", "", "hypertonic", 1, False, None, ""),
        ],
        "rom": [
            ("cervical_spine", "rotation", "right", "inclinometer", "sitting"),
        ],
        "rom_other": ("cervical_spine", "rotation", "left", "inclinometer", "sitting", 70),
        "special_tests": [
            ("Spurling's test", "right", "negative", "Local neck pain only, nothing into the arm"),
        ],
        "diagnoses": ["M54.2", "M79.12"],
        "instrument": "NDI",
        "psfs": ["Working at the computer for two hours", "Checking the blind spot when driving"],
        "goals": {
            "instrument": "Less disability from the neck pain: the Neck Disability Index "
            "improves by at least a clinically meaningful amount.",
            "rom": "Turn the head to the right far enough to check the blind spot comfortably.",
            "psfs": "Work at the computer for two hours without the neck forcing a stop.",
        },
        "techniques": [
            ("soft_tissue_mobilization", "neck", "", 15, "moderate", "none"),
            ("trigger_point", "shoulder", "right", 10, "firm", "none"),
            ("swedish", "upper_back", "", 20, "moderate", "none"),
        ],
        "home": "Chin tucks and upper-trapezius stretch, 3 times a day.",
        "home_care": [
            {
                "kind": "exercise",
                "instructions": "Chin tucks: slide the chin straight back, hold 5 seconds.",
                "frequency": "10 times, 3 times a day",
            },
            {
                "kind": "stretch",
                "instructions": "Upper-trapezius stretch: ear towards the left shoulder, right "
                "hand under the thigh.",
                "frequency": "30 seconds, 3 times a day",
            },
            {
                "kind": "posture",
                "instructions": "Raise the laptop screen to eye level; separate keyboard.",
                "frequency": "every working day",
            },
        ],
    },
    {
        "complaint": "left arm swelling after lymph node removal",
        "onset_weeks": 35,  # "began to swell eight months ago"
        "chief_complaint": "Heaviness and swelling of the left arm since lymph node removal "
        "for breast cancer.",
        "history": "Left breast surgery with axillary lymph node removal three years ago; "
        "cancer treatment finished. The arm began to swell eight months ago, worse in hot "
        "weather and by evening. Wears a compression sleeve by day. No redness, warmth or "
        "fever.",
        "posture": "Guards the left arm; left shoulder slightly drawn forward.",
        "pain_map": [
            ("upper_arm", "left", 0, "dull", "Heaviness"),
            ("forearm", "left", -1, "dull", "Tight skin by evening"),
            ("shoulder", "left", -1, "stiff", ""),
        ],
        "palpation": [
            ("upper_arm", "left", "normal", 1, False, None, "Soft, doughy tissue; skin intact"),
            ("forearm", "left", "normal", 1, False, None, "Pitting on pressure over the forearm"),
        ],
        "rom": [
            ("shoulder", "flexion", "left", "goniometer", "supine"),
        ],
        "rom_other": ("shoulder", "abduction", "left", "goniometer", "supine", 125),
        "special_tests": [
            (
                "Stemmer sign",
                "left",
                "positive",
                "Skin fold at the base of the middle finger cannot be lifted",
            ),
        ],
        "diagnoses": ["I97.2"],
        "instrument": "QUICKDASH",
        "psfs": ["Carrying shopping bags with the left hand", "Reaching to a high shelf"],
        "goals": {
            "instrument": "Use the left arm more easily every day: the QuickDASH improves by "
            "at least a clinically meaningful amount.",
            "rom": "Raise the left arm overhead to reach the top kitchen shelf.",
            "psfs": "Carry the shopping home with the left hand.",
        },
        "techniques": [
            ("manual_lymphatic_drainage", "neck", "", 10, "light", "none"),
            ("manual_lymphatic_drainage", "upper_arm", "left", 25, "light", "none"),
            ("manual_lymphatic_drainage", "forearm", "left", 15, "light", "none"),
        ],
        "home": "Self-drainage sequence and compression sleeve during the day.",
        "home_care": [
            {
                "kind": "self_massage",
                "instructions": "Self-drainage sequence as taught: neck, armpit, upper arm, "
                "forearm, with light strokes towards the shoulder.",
                "frequency": "15 minutes, once a day",
            },
            {
                "kind": "other",
                "instructions": "Compression sleeve from morning to evening.",
                "frequency": "every day",
            },
            {
                "kind": "exercise",
                "instructions": "Wall slides for the left arm, slowly, within comfort.",
                "frequency": "10 times, twice a day",
            },
        ],
    },
    {
        "complaint": "calf tightness from running",
        "onset_weeks": 9,  # "for two months"
        "chief_complaint": "Tight, aching calves after runs, left worse than right, limiting "
        "training for a half marathon.",
        "history": "Recreational runner, 25 to 30 km a week. Calf tightness for two months since "
        "adding mileage. No swelling, redness or warmth of the calf; no history of clots. "
        "Medicines unchanged for years; has told the physician about the calves.",
        "posture": "Feet roll in slightly when standing; left heel lifts early in a squat.",
        "pain_map": [
            ("lower_leg", "left", 0, "aching", "After runs and on stairs"),
            ("lower_leg", "right", -2, "aching", ""),
        ],
        "palpation": [
            ("lower_leg", "left", "hypertonic", 2, True, 3, "Dense medial gastrocnemius"),
            ("lower_leg", "right", "hypertonic", 1, False, None, "Mildly dense soleus"),
        ],
        "rom": [
            ("ankle", "dorsiflexion", "left", "goniometer", "supine, knee straight"),
        ],
        "rom_other": ("ankle", "dorsiflexion", "right", "goniometer", "supine, knee straight", 15),
        "special_tests": [
            ("Thompson test", "bilateral", "negative", "Foot moves on calf squeeze both sides"),
        ],
        "diagnoses": ["M62.831"],
        "instrument": "LEFS",
        "psfs": ["Running 10 km", "Walking down stairs"],
        "goals": {
            "instrument": "Move with the legs more easily: the Lower Extremity Functional "
            "Scale improves by at least a clinically meaningful amount.",
            "rom": "Bend the left ankle as far as the right for a full squat and hill running.",
            "psfs": "Run 10 km without calf pain stopping the run.",
        },
        "techniques": [
            ("deep_tissue", "lower_leg", "bilateral", 20, "deep", "none"),
            ("tool_assisted", "thigh", "bilateral", 10, "firm", "foam_roller"),
            ("stretching", "lower_leg", "bilateral", 8, "moderate", "none"),
        ],
        "home": "Foam roller for calves and quads after each run, 5 minutes.",
        "home_care": [
            {
                "kind": "self_massage",
                "instructions": "Foam roller for the calves and thighs, slow passes.",
                "frequency": "5 minutes after each run",
                "tool": "foam_roller",
            },
            {
                "kind": "stretch",
                "instructions": "Calf stretch against a wall, knee straight then bent.",
                "frequency": "30 seconds each, twice a day",
            },
        ],
    },
]


@dataclass(frozen=True)
class Trajectory:
    """One treated patient's course, measured at the evaluation and then at each
    re-assessment (every ``every`` visits): the primary instrument's score, the goal's
    range of motion in degrees, and the PSFS ratings of the course's activities.

    ``target`` is the primary goal's value, or None for "a change of at least the MCID";
    ``rom_target`` and ``psfs_target`` (for the first activity) are None for no such goal.
    """

    story: str
    visits: int  # visits, one treatment note each (the first patient's last is a draft)
    primary: tuple[float, ...]
    pain: tuple[int, int]  # NPRS at the evaluation and at the last visit
    every: int = 4
    target: float | None = None
    rom: tuple[int, ...] = ()
    rom_target: int | None = None
    psfs: tuple[tuple[int, int], ...] = ()
    psfs_target: int | None = None
    instrument: str = ""  # instead of the course's primary instrument
    weeks: int = 6
    discharge: str = ""  # the discharge summary, for the one patient discharged


# By patient index: the 18 treated patients. QuickDASH
# scores move in steps of 25/11 points; the nearest step is used.
TRAJECTORIES: dict[int, Trajectory] = {
    0: Trajectory(
        "just started", 3, (32,), (6, 5), rom=(62,), rom_target=80, psfs=((3, 4),), psfs_target=7
    ),
    1: Trajectory(
        "responder",
        7,
        (18, 8),
        (6, 3),
        rom=(55, 66),
        rom_target=75,
        psfs=((4, 3), (7, 5)),
        psfs_target=8,
    ),
    2: Trajectory(
        "responder",
        12,
        (50, 41, 32, 23),
        (4, 1),
        rom=(140, 150, 160, 168),
        rom_target=170,
        psfs=((3, 4), (4, 5), (6, 6), (8, 7)),
        psfs_target=7,
    ),
    3: Trajectory("responder", 6, (50, 60), (5, 2), rom=(8, 12), rom_target=15),
    4: Trajectory(
        "responder",
        11,
        (40, 30, 22),
        (7, 2),
        rom=(60, 70, 78),
        rom_target=85,
        psfs=((3, 2), (5, 4), (7, 6)),
        psfs_target=7,
    ),
    5: Trajectory(
        "mid-course, on track", 5, (16, 11), (5, 4), psfs=((5, 4), (8, 5)), psfs_target=8
    ),
    6: Trajectory(
        "responder", 10, (45, 34, 25), (3, 1), psfs=((4, 5), (6, 6), (8, 7)), psfs_target=7
    ),
    7: Trajectory("mid-course, on track", 4, (44, 50), (5, 4), rom=(9, 11), rom_target=15),
    8: Trajectory(
        "responder",
        9,
        (12, 9, 6),
        (6, 2),
        instrument="RMDQ",
        psfs=((4, 3), (6, 5), (8, 7)),
        psfs_target=7,
    ),
    9: Trajectory("just started", 3, (20,), (6, 5), rom=(58,), rom_target=75),
    10: Trajectory(
        "responder", 8, (41, 30, 20), (3, 1), psfs=((3, 4), (5, 5), (7, 7)), psfs_target=7
    ),
    11: Trajectory("just started", 2, (52,), (5, 4), psfs=((4, 5),), psfs_target=8),
    12: Trajectory(
        "non-responder",
        7,
        (34, 32),
        (6, 6),
        every=6,
        rom=(65, 66),
        rom_target=85,
        psfs=((4, 3), (4, 3)),
        psfs_target=7,
    ),
    13: Trajectory(
        "discharged, goals met",
        12,
        (24, 17, 12, 8),
        (7, 1),
        rom=(55, 64, 72, 78),
        rom_target=75,
        psfs=((3, 2), (5, 5), (7, 6), (9, 8)),
        psfs_target=7,
        discharge="Neck Disability Index from 24 to 8, right rotation from 55 to 78 degrees, "
        "and two hours at the computer without stopping: every goal met in twelve visits. "
        "Discharged to the home program (chin tucks, stretches, screen at eye level); "
        "return if the headaches come back.",
    ),
    14: Trajectory("responder", 6, (48, 30), (4, 2), psfs=((3, 3), (6, 5)), psfs_target=7),
    15: Trajectory(
        "responder, range-of-motion goal overdue",
        11,
        (46, 55, 62),
        (6, 3),
        rom=(6, 10, 13),
        rom_target=15,
        psfs=((2, 5), (4, 6), (6, 7)),
        psfs_target=7,
    ),
    16: Trajectory("mid-course, at risk", 5, (30, 40), (6, 6), rom=(66, 68), rom_target=85),
    17: Trajectory(
        "plateau",
        10,
        (20, 10, 9, 9),
        (6, 4),
        every=3,
        target=8,
        rom=(60, 68, 69, 69),
        rom_target=78,
        psfs=((3, 4), (5, 6), (5, 6), (5, 6)),
        psfs_target=8,
    ),
}

# Health histories (screening facts) by patient index; dates are days before "today" or,
# for patients with notes, before their evaluation (the day they were screened). The four
# decisions all appear: PROCEED (most), MODIFY (lymphoedema after breast cancer;
# osteoporosis on a blood thinner), CLEARANCE (uncontrolled blood pressure, cleared by
# letter; warfarin after a recent clot, not yet cleared) and STOP (an emergency and an
# urgent one).
SCREENING_BY_COURSE: list[dict[str, Any]] = [
    {"red_flags": {"low_back": {}}},
    {"red_flags": {"neck": {}}},
    {
        "conditions": [{"code": "lymphedema", "regions": ["left_upper_limb"]}],
        "lymph_node_removal": [{"region": "left_upper_limb"}],
        "cancer": [{"status": "past", "site": "breast"}],
    },
    {"medications": [{"name": "atorvastatin", "kind": "other"}]},
]
# Patients with notes whose screening needed a physician's clearance, recorded by letter.
CLEARED_WITH_NOTES: dict[int, dict[str, Any]] = {
    7: {
        "facts": {
            "conditions": [{"code": "hypertension", "qualifiers": ["uncontrolled"]}],
            "medications": [{"name": "lisinopril", "kind": "other"}],
            # measured at the evaluation: raised, below the clearance range (advice only)
            "blood_pressure": {"systolic": 152, "diastolic": 94, "measured_on": 0},
        },
        "scope": "Massage with moderate to deep pressure to the legs",
        "conditions": "Stop if dizzy; check blood pressure before each visit.",
    },
}
# Patients without notes: (days ago screened, facts, through the patient's intake link?).
# A whole number in a date field ("onset") is that many days before the screening.
SCREENINGS_WITHOUT_NOTES: dict[int, tuple[int, dict[str, Any], bool]] = {
    18: (
        0,
        {
            "medications": [{"name": "warfarin", "kind": "anticoagulant"}],
            "conditions": [
                {"code": "dvt", "status": "past", "regions": ["left_lower_limb"], "onset": 61}
            ],
        },
        True,
    ),
    19: (
        0,
        {"red_flags": {"low_back": {"saddle_numbness": True, "bladder_dysfunction": True}}},
        False,
    ),
    20: (
        0,
        {"conditions": [{"code": "dvt", "status": "suspected", "regions": ["right_lower_limb"]}]},
        False,
    ),
    21: (
        30,
        {
            "conditions": [{"code": "osteoporosis"}],
            "medications": [{"name": "apixaban", "kind": "anticoagulant"}],
        },
        False,
    ),
    22: (14, {"pregnancy": {"weeks": 24}}, False),
    23: (120, {"red_flags": {"neck": {}}}, False),
}
# A patient who was sent an intake link and has not answered yet.
INTAKE_LINK_PENDING = 24


def clearance_letter_pdf(text: str) -> bytes:
    """A one-page PDF letter with one line of text (the demo's physician clearance)."""
    line = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


# Two lymphoedema patients (docs/lymphoedema.md), added after the 30 above: limb
# measurements through the lymphoedema services, each sitting signed by the therapist who
# measured it on a day she works at that location (scheduling.HOURS), before today.
LYMPH_PATIENTS: list[dict[str, Any]] = [
    {
        "given_name": "Diane",
        "family_name": "Whitaker",
        "date_of_birth": "1967-04-12",
        "sex": "female",
        "phone": "+1 727 555 3114",
        "address_line1": "27 Coquina Key Dr",
        "city": "St. Petersburg",
        "postal_code": "33705",
        "emergency_contact": ("Paul Whitaker", "spouse", "+1 727 555 3115"),
    },
    {
        "given_name": "Henry",
        "family_name": "Osei",
        "date_of_birth": "1958-09-03",
        "sex": "male",
        "phone": "+1 813 555 3271",
        "address_line1": "514 Bayshore Ct",
        "city": "Tampa",
        "postal_code": "33611",
        "emergency_contact": ("Abena Osei", "daughter", "+1 813 555 3272"),
    },
]

# Diane Whitaker: breast-cancer-related lymphoedema of the left arm after a left
# mastectomy with axillary node dissection. Tape, from the wrist every 4 cm, 9 points.
# Measured before the surgery (both arms alike; the right arm, her dominant one, a
# little larger), then at the ten daily sittings of the intensive phase of decongestive
# therapy (Monday to Friday for two weeks), with Sofia Ramirez (CLT).
ARM_PRE_SURGERY_DAYS_AGO = 150
ARM_PRE_SURGERY: tuple[list[float], list[float]] = (
    [15.5, 17.4, 20.2, 22.7, 23.7, 23.7, 25.2, 27.0, 28.7],  # left, 1350 mL
    [15.6, 17.6, 20.4, 22.9, 23.8, 23.9, 25.4, 27.2, 28.8],  # right, 1370 mL
)
# (left, right) circumferences per sitting; the comment is the computed left and right
# volume (mL) and the excess in % of the right arm: a fall from about 25 % to 11 %, with
# the small ups and downs of real measurements.
ARM_SITTINGS: list[tuple[list[float], list[float]]] = [
    (
        [16.9, 19.8, 23.3, 26.2, 27.1, 26.8, 28.3, 29.9, 31.3],
        [15.5, 17.6, 20.5, 22.8, 23.8, 24.0, 25.3, 27.2, 28.9],
    ),  # 1717 / 1370 mL, 25.3 %
    (
        [16.8, 19.6, 23.1, 25.9, 26.9, 26.6, 28.1, 29.7, 31.1],
        [15.7, 17.5, 20.4, 23.0, 23.7, 23.9, 25.5, 27.1, 28.8],
    ),  # 1690 / 1370 mL, 23.4 %
    (
        [16.7, 19.4, 22.8, 25.6, 26.6, 26.3, 27.8, 29.5, 30.9],
        [15.6, 17.7, 20.3, 22.9, 23.9, 23.8, 25.4, 27.3, 28.7],
    ),  # 1657 / 1371 mL, 20.9 %
    (
        [16.7, 19.5, 22.9, 25.7, 26.7, 26.4, 27.9, 29.5, 31.0],
        [15.5, 17.6, 20.5, 22.8, 23.8, 24.0, 25.3, 27.2, 28.9],
    ),  # 1667 / 1370 mL, 21.7 %
    (
        [16.6, 19.2, 22.6, 25.4, 26.3, 26.1, 27.6, 29.2, 30.7],
        [15.7, 17.5, 20.4, 23.0, 23.7, 23.9, 25.5, 27.1, 28.8],
    ),  # 1628 / 1370 mL, 18.9 %
    (
        [16.5, 19.1, 22.4, 25.1, 26.1, 25.8, 27.4, 29.0, 30.5],
        [15.6, 17.7, 20.3, 22.9, 23.9, 23.8, 25.4, 27.3, 28.7],
    ),  # 1601 / 1371 mL, 16.8 %
    (
        [16.4, 19.0, 22.2, 25.0, 26.0, 25.7, 27.2, 28.9, 30.4],
        [15.5, 17.6, 20.5, 22.8, 23.8, 24.0, 25.3, 27.2, 28.9],
    ),  # 1586 / 1370 mL, 15.7 %
    (
        [16.3, 18.8, 22.0, 24.7, 25.7, 25.5, 27.0, 28.7, 30.2],
        [15.7, 17.5, 20.4, 23.0, 23.7, 23.9, 25.5, 27.1, 28.8],
    ),  # 1558 / 1370 mL, 13.8 %
    (
        [16.4, 18.8, 22.1, 24.8, 25.8, 25.6, 27.1, 28.7, 30.3],
        [15.6, 17.7, 20.3, 22.9, 23.9, 23.8, 25.4, 27.3, 28.7],
    ),  # 1567 / 1371 mL, 14.3 %
    (
        [16.2, 18.5, 21.7, 24.3, 25.3, 25.2, 26.7, 28.4, 29.9],
        [15.5, 17.6, 20.5, 22.8, 23.8, 24.0, 25.3, 27.2, 28.9],
    ),  # 1519 / 1370 mL, 10.8 %
]
# What was seen, felt and said at each of the ten sittings: pitting until the sixth,
# the skin dry until skin care took hold, heaviness and tightness (0-10) falling.
ARM_PRE_SURGERY_FINDINGS: dict[str, Any] = {
    "stemmer_sign": "negative",
    "pitting": "absent",
    "skin": ["intact"],
    "heaviness": 0,
    "tightness": 0,
}
ARM_FINDINGS: list[dict[str, Any]] = [
    {
        "isl_stage": "II",
        "stemmer_sign": "positive",
        "pitting": "present" if n < 6 else "absent",
        "skin": ["dry", "fibrosis"] if n < 5 else ["fibrosis"],
        "skin_note": {
            0: "Firm tissue over the proximal forearm.",
            5: "Proximal forearm softer under the fingers.",
        }.get(n, ""),
        "heaviness": heaviness,
        "tightness": tightness,
    }
    for n, (heaviness, tightness) in enumerate(
        [(7, 7), (7, 6), (6, 6), (6, 5), (5, 5), (5, 4), (4, 4), (4, 3), (4, 4), (3, 3)]
    )
]

# Henry Osei: lymphoedema of both legs. Perometer volumes (mL), once a week with Maya
# Chen: with no healthy leg to compare, the chart shows each leg's % change in volume.
LEG_SITTINGS: list[tuple[float, float]] = [
    (9850.0, 9420.0),
    (9610.0, 9250.0),
    (9655.0, 9120.0),
    (9380.0, 9010.0),
]
LEG_FINDINGS: list[dict[str, Any]] = [
    {
        "isl_stage": "II",
        "stemmer_sign": "positive",
        "pitting": "present" if n < 2 else "absent",
        "skin": ["dry", "acanthosis"] if n < 2 else ["acanthosis"],
        "heaviness": heaviness,
        "tightness": tightness,
    }
    for n, (heaviness, tightness) in enumerate([(6, 6), (5, 6), (5, 5), (4, 4)])
]
