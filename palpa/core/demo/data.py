"""The demo clinic's fixed data. Everything here is invented; dates are relative to today."""

from __future__ import annotations

from typing import Any

DEMO_SLUG = "harbor-demo"
DEMO_PASSWORD = "palpa-demo-2026"

ORGANIZATION = {"name": "Harbor Medical Massage", "slug": DEMO_SLUG}

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

# Treatment-note templates: (technique, region, side, minutes, pressure, tool).
NOTE_COURSES: list[dict[str, Any]] = [
    {
        "complaint": "low back pain after long drives",
        "techniques": [
            ("myofascial_release", "low_back", "", 20, "moderate", "none"),
            ("trigger_point", "gluteal", "left", 10, "firm", "massage_ball"),
            ("stretching", "hip", "left", 8, "light", "none"),
        ],
        "home": "Ball against the wall for the left glute, 2 minutes, twice a day.",
    },
    {
        "complaint": "neck and shoulder tension from desk work",
        "techniques": [
            ("soft_tissue_mobilization", "neck", "", 15, "moderate", "none"),
            ("trigger_point", "shoulder", "right", 10, "firm", "none"),
            ("swedish", "upper_back", "", 20, "moderate", "none"),
        ],
        "home": "Chin tucks and upper-trapezius stretch, 3 times a day.",
    },
    {
        "complaint": "left arm swelling after lymph node removal",
        "techniques": [
            ("manual_lymphatic_drainage", "neck", "", 10, "light", "none"),
            ("manual_lymphatic_drainage", "upper_arm", "left", 25, "light", "none"),
            ("manual_lymphatic_drainage", "forearm", "left", 15, "light", "none"),
        ],
        "home": "Self-drainage sequence and compression sleeve during the day.",
    },
    {
        "complaint": "calf tightness from running",
        "techniques": [
            ("deep_tissue", "lower_leg", "bilateral", 20, "deep", "none"),
            ("tool_assisted", "thigh", "bilateral", 10, "firm", "foam_roller"),
            ("stretching", "lower_leg", "bilateral", 8, "moderate", "none"),
        ],
        "home": "Foam roller for calves and quads after each run, 5 minutes.",
    },
]

# Health histories (screening facts) by patient index; dates are days before "today" or,
# for patients with notes, before their first visit. The four decisions all appear:
# PROCEED (most), MODIFY (lymphoedema after breast cancer; osteoporosis on a blood thinner),
# CLEARANCE (uncontrolled blood pressure, cleared by letter; warfarin after a recent clot,
# not yet cleared) and STOP (an emergency and an urgent one).
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
