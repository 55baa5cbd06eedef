"""Build Palpa's ICD-10-CM subset from the official code files. Pure: no Django, no database.

The subset that ships, ``palpa/core/data/icd10cm_subset.json``, is generated, not written by
hand: ``bin/icd10cm-subset`` reads the CDC/CMS ICD-10-CM Tabular List (XML) and the list of
all codes of one release, picks the code ranges in ``SELECTION`` and writes each billable
code with its official title, its billable flag and the release it came from. The release
files are those carried by the PyPI package ``simple-icd-10-cm`` (a development
dependency only; the generated JSON is what ships).

Billable means what the Official Guidelines (Section I.B.2, level of detail) say a
reportable code is: a code with no subdivisions in the Tabular List, carried to its 7th
character where its category defines one. A category that has subdivisions (M54.5, M79.1) is
not billable; it is recorded under ``categories`` so that Palpa can say so by name.

Which ranges, and why (the conditions of the clinical reference and the diagnoses a
referral for medical massage carries): see ``SELECTION``; each range says why it is in, and
each exclusion why it is out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata, util
from pathlib import Path
from typing import Any

SEVENTHS = {"A": "initial encounter", "D": "subsequent encounter", "S": "sequela"}


class BuildError(ValueError):
    """The release files do not hold what the selection asks for."""


@dataclass(frozen=True)
class Range:
    """Every billable code under ``prefix`` (a category or subcategory, with its dot), less
    ``exclude`` (prefixes, each with the reason in ``excluded_because``)."""

    prefix: str
    group: str
    why: str
    terms: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    excluded_because: str = ""


SELECTION: tuple[Range, ...] = (
    Range(
        "M54.5",
        "Low back pain",
        "Clinical reference E and D (low back pain); the commonest referral.",
        ("lumbago", "lower back", "lumbar pain", "back pain"),
    ),
    Range(
        "M54.4",
        "Low back pain with sciatica",
        "Low back pain with leg pain (reference C1 and D).",
        ("lumbago", "sciatica", "low back pain", "back pain", "leg pain"),
    ),
    Range(
        "M54.3",
        "Sciatica",
        "Sciatica without low back pain, a common referral with back pain.",
        ("sciatica", "leg pain"),
    ),
    Range(
        "M54.2",
        "Neck pain",
        "Clinical reference E and D (neck pain).",
        ("neck pain", "cervical pain"),
    ),
    Range(
        "M54.6",
        "Thoracic spine pain",
        "Pain in the thoracic spine: mid and upper back pain referred for massage.",
        ("upper back", "mid back", "thoracic pain", "back pain"),
    ),
    Range(
        "M54.1",
        "Radiculopathy",
        "Nerve-root pain of the neck or back, referred with neck and back pain.",
        ("radiculopathy", "nerve root", "radiating pain", "pinched nerve"),
    ),
    Range(
        "M54.8",
        "Other back pain",
        "Other dorsalgia.",
        ("back pain",),
    ),
    Range(
        "M54.9",
        "Other back pain",
        "Dorsalgia, unspecified.",
        ("back pain",),
    ),
    Range(
        "M53.0",
        "Neck pain",
        "Cervicocranial syndrome: neck pain with headache.",
        ("neck pain", "headache"),
    ),
    Range(
        "M53.1",
        "Neck pain",
        "Cervicobrachial syndrome: neck pain into the arm.",
        ("neck pain", "arm pain"),
    ),
    Range(
        "M53.3",
        "Other back pain",
        "Sacrococcygeal disorders (coccydynia).",
        ("tailbone", "coccyx pain"),
    ),
    Range(
        "M79",
        "Soft tissue pain",
        "Clinical reference E: myalgia (M79.1, with myofascial pain syndrome), fibromyalgia "
        "(M79.7); with them the other soft-tissue pains a referral carries (pain in a limb, "
        "neuralgia, rheumatism).",
        ("soft tissue pain", "muscle pain"),
        exclude=("M79.3", "M79.4", "M79.5", "M79.A"),
        excluded_because="Panniculitis, hypertrophy of the infrapatellar fat pad and a "
        "foreign body in soft tissue are not treated by massage; nontraumatic compartment "
        "syndrome is an emergency.",
    ),
    Range(
        "M62.4",
        "Muscle contracture and spasm",
        "Contracture of muscle: shortened muscle treated with stretching and massage.",
        ("contracture", "tightness", "shortened muscle"),
    ),
    Range(
        "M62.8",
        "Muscle contracture and spasm",
        "Clinical reference E: muscle spasm (M62.83-), with muscle weakness and other "
        "specified disorders of muscle.",
        ("spasm", "cramp", "muscle"),
        exclude=("M62.82", "M62.84"),
        excluded_because="Rhabdomyolysis is an emergency; sarcopenia is not a massage diagnosis.",
    ),
    Range(
        "M25.5",
        "Joint pain and stiffness",
        "Pain in a joint (shoulder, hip, knee ...), often the referral's diagnosis.",
        ("joint pain", "arthralgia"),
    ),
    Range(
        "M25.6",
        "Joint pain and stiffness",
        "Stiffness of a joint, treated with soft-tissue work and stretching.",
        ("stiffness", "stiff joint"),
    ),
    Range(
        "G44.2",
        "Headache",
        "Tension-type headache, a common referral for neck and shoulder massage.",
        ("tension headache", "headache"),
    ),
    Range(
        "G44.3",
        "Headache",
        "Post-traumatic headache (after a neck injury).",
        ("headache", "post-traumatic"),
    ),
    Range(
        "G44.86",
        "Headache",
        "Cervicogenic headache.",
        ("headache", "neck"),
    ),
    Range(
        "S13.4",
        "Sprains and strains",
        "Clinical reference E: cervical sprain.",
        ("neck sprain", "whiplash", "cervical sprain"),
    ),
    Range(
        "S13.8",
        "Sprains and strains",
        "Sprain of other parts of the neck.",
        ("neck sprain",),
    ),
    Range(
        "S16.1",
        "Sprains and strains",
        "Clinical reference E: neck strain.",
        ("neck strain", "whiplash", "cervical strain"),
    ),
    Range(
        "S23.3",
        "Sprains and strains",
        "Sprain of the thoracic spine.",
        ("upper back sprain", "thoracic sprain", "back sprain"),
    ),
    Range(
        "S29.012",
        "Sprains and strains",
        "Strain of the muscles of the back wall of the thorax (mid back strain).",
        ("upper back strain", "mid back strain", "back strain"),
    ),
    Range(
        "S33.5",
        "Sprains and strains",
        "Clinical reference E: lumbar sprain.",
        ("low back sprain", "lumbar sprain", "back sprain"),
    ),
    Range(
        "S39.012",
        "Sprains and strains",
        "Clinical reference E: low back strain.",
        ("low back strain", "lumbar strain", "back strain"),
    ),
    Range(
        "I89.0",
        "Lymphedema",
        "Clinical reference E and G: lymphedema.",
        ("lymphoedema", "swelling", "lymphatic"),
    ),
    Range(
        "I97.2",
        "Lymphedema",
        "Clinical reference E and G: lymphedema after mastectomy.",
        ("lymphoedema", "mastectomy", "breast cancer", "swelling", "arm"),
    ),
    Range(
        "Q82.0",
        "Lymphedema",
        "Clinical reference E and G: hereditary lymphedema.",
        ("lymphoedema", "congenital", "primary lymphedema", "swelling"),
    ),
)

# Facts from the clinical reference that the release files confirm but do not state.
NOT_BILLABLE_SINCE = (
    {
        "code": "M54.5",
        "reason": "M54.5 (low back pain) is not billable since 1 October 2021: it was expanded "
        "into M54.50, M54.51 and M54.59.",
        "since": "2021-10-01",
        "use_instead": ["M54.50", "M54.51", "M54.59"],
        "source": "ref_e",
        "tag": "V",
    },
)


@dataclass
class _Node:
    code: str
    title: str
    parent: _Node | None
    children: list[_Node] = field(default_factory=list)
    inclusion: tuple[str, ...] = ()
    sevenths: dict[str, str] | None = None

    def seventh_definition(self) -> dict[str, str] | None:
        node: _Node | None = self
        while node is not None:
            if node.sevenths is not None:
                return node.sevenths
            node = node.parent
        return None


def _notes(element: ET.Element, tag: str) -> tuple[str, ...]:
    found = element.find(tag)
    if found is None:
        return ()
    return tuple((note.text or "").strip() for note in found.findall("note"))


def parse_tabular(xml_text: str) -> tuple[str, dict[str, _Node]]:
    """The release's year and every code of the Tabular List, by code."""
    # The official release file from an installed package (or a test's own text), never
    # input from a user: the standard parser is enough here.
    root = ET.fromstring(xml_text)  # noqa: S314
    year = (root.findtext("version") or "").strip()
    nodes: dict[str, _Node] = {}

    def walk(element: ET.Element, parent: _Node | None) -> None:
        for diag in element.findall("diag"):
            code = (diag.findtext("name") or "").strip()
            sevenths = None
            definition = diag.find("sevenChrDef")
            if definition is not None:
                sevenths = {
                    str(ext.get("char")): (ext.text or "").strip()
                    for ext in definition.findall("extension")
                }
            node = _Node(
                code=code,
                title=(diag.findtext("desc") or "").strip(),
                parent=parent,
                inclusion=_notes(diag, "inclusionTerm"),
                sevenths=sevenths,
            )
            nodes[code] = node
            if parent is not None:
                parent.children.append(node)
            walk(diag, node)

    for chapter in root.iter("chapter"):
        for section in chapter.findall("section"):
            walk(section, None)
    if not nodes:
        raise BuildError("the Tabular List holds no codes")
    return year, nodes


def _squash(code: str) -> str:
    return code.replace(".", "")


def _leaves(node: _Node) -> Iterable[_Node]:
    if not node.children:
        yield node
        return
    for child in node.children:
        yield from _leaves(child)


def _padded(code: str) -> str:
    """A code that takes a 7th character, padded with 'X' to 6 characters (S13.4 -> S13.4XX)."""
    bare = _squash(code)
    bare += "X" * (6 - len(bare))
    return f"{bare[:3]}.{bare[3:]}"


def _terms(node: _Node, selected: Range) -> list[str]:
    terms: list[str] = []
    ancestor: _Node | None = node
    while ancestor is not None and _squash(ancestor.code).startswith(_squash(selected.prefix)[:3]):
        terms.extend(t for t in ancestor.inclusion if t)
        ancestor = ancestor.parent
    terms.extend(selected.terms)
    return list(dict.fromkeys(terms))


def build(
    *,
    tabular_xml: str,
    all_codes: Sequence[str],
    release: dict[str, Any],
    selection: Sequence[Range] = SELECTION,
) -> dict[str, Any]:
    """The subset as JSON-ready data. Raises BuildError when the files and the selection
    disagree (a range that holds no code, a code missing from the list of all codes, a 7th
    character other than A, D and S)."""
    year, nodes = parse_tabular(tabular_xml)
    listed = {line.split()[0].replace(".", "").upper() for line in all_codes if line.strip()}
    codes: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    seen: set[str] = set()
    for selected in selection:
        root = nodes.get(selected.prefix)
        if root is None:
            raise BuildError(f"{selected.prefix} is not in the Tabular List ({year})")
        excluded = tuple(_squash(e) for e in selected.exclude)
        picked = [
            leaf for leaf in _leaves(root) if not _squash(leaf.code).startswith(excluded or ("~",))
        ]
        if not picked:
            raise BuildError(f"{selected.prefix}: no billable code is left")
        stack = [root]
        while stack:
            node = stack.pop(0)
            if node.children and not _squash(node.code).startswith(excluded or ("~",)):
                if node.code not in seen and "." in node.code:
                    seen.add(node.code)
                    subcodes = [
                        leaf.code if leaf.seventh_definition() is None else _padded(leaf.code)
                        for leaf in _leaves(node)
                        if not _squash(leaf.code).startswith(excluded or ("~",))
                    ]
                    categories.append(
                        {
                            "code": node.code,
                            "title": node.title,
                            "billable": False,
                            "subcodes": subcodes,
                        }
                    )
                stack.extend(node.children)
        for leaf in picked:
            if leaf.code in seen:
                raise BuildError(f"{leaf.code} is selected twice")
            seen.add(leaf.code)
            sevenths = leaf.seventh_definition()
            entry: dict[str, Any] = {
                "code": leaf.code,
                "label": leaf.title,
                "title": leaf.title,
                "billable": True,
                "group": selected.group,
                "terms": _terms(leaf, selected),
                "source": "cms_tabular",
                "tag": "V",
            }
            if sevenths is None:
                if _squash(leaf.code) not in listed:
                    raise BuildError(f"{leaf.code} is not in the list of all codes")
            else:
                if sevenths != SEVENTHS:
                    raise BuildError(
                        f"{leaf.code}: 7th characters {sorted(sevenths)} are not A, D and S"
                    )
                padded = _padded(leaf.code)
                for character in SEVENTHS:
                    if _squash(padded) + character not in listed:
                        raise BuildError(f"{padded}{character} is not in the list of all codes")
                entry["code"] = padded
                entry["seventh_character_required"] = True
                entry["billable"] = True  # with its 7th character
            codes.append(entry)
    return {
        "version": release["version"],
        "code_set": "ICD-10-CM",
        "release": {**release, "tabular_version": year},
        "generated_by": "bin/icd10cm-subset (palpa/core/icd10_build.py); do not edit by hand: "
        "change the selection there and run it again.",
        "source": "The ICD-10-CM Tabular List and code list of the release named in 'release' "
        "(ICD-10-CM is the public-domain US code set maintained by CMS and the CDC, NCHS). "
        "Labels are the official titles. Billable codes only; categories with subdivisions "
        "are listed under 'categories' as not billable. Search terms are the official "
        "inclusion terms and Palpa's own.",
        "sources": {
            "cms_tabular": {
                "short": "ICD-10-CM Tabular List",
                "citation": f"ICD-10-CM Tabular List of Diseases and Injuries, {release['name']} "
                f"({release['tabular_file']}), CDC NCHS / CMS.",
            },
            "ref_e": {
                "short": "ICD-10-CM FY2022",
                "citation": "ICD-10-CM FY2022 release (effective 1 October 2021), CDC NCHS / "
                "CMS, Tabular List addenda: M54.5 Low back pain expanded into M54.50, M54.51 "
                "and M54.59.",
                "note": "Palpa clinical reference (internal), section E (ICD-10-CM) [V]",
            },
            "guidelines_ch19": {
                "short": "ICD-10-CM Official Guidelines, ch. 19",
                "citation": "ICD-10-CM Official Guidelines for Coding and Reporting, chapter 19 "
                "(Injury, poisoning and certain other consequences of external causes): 7th "
                "characters A, D and S; 'X' placeholders, as defined for each category in "
                "the Tabular List.",
                "note": "Palpa clinical reference (internal), section E, 7th character [V]",
            },
            "guidelines_level_of_detail": {
                "short": "ICD-10-CM Official Guidelines, I.B.2",
                "citation": "ICD-10-CM Official Guidelines for Coding and Reporting, Section "
                "I.B.2 (level of detail in coding): a code is reported at its highest number "
                "of characters, with its 7th character where one applies; a category that has "
                "subdivisions is not a reportable code.",
            },
        },
        "billable_rule": {
            "rule": "A code is billable when it has no subdivisions in the Tabular List, "
            "carried to its 7th character where its category defines one.",
            "source": "guidelines_level_of_detail",
            "tag": "P",
        },
        "selection": [
            {
                "prefix": r.prefix,
                "group": r.group,
                "why": r.why,
                **(
                    {"exclude": list(r.exclude), "excluded_because": r.excluded_because}
                    if r.exclude
                    else {}
                ),
            }
            for r in selection
        ],
        "seventh_characters": {
            "source": "guidelines_ch19",
            "tag": "V",
            "placeholder": "X",
            "length": 7,
            "values": [
                {"character": "A", "label": "initial encounter: active treatment"},
                {
                    "character": "D",
                    "label": "subsequent encounter: routine care during healing or recovery "
                    "(usual for therapy visits)",
                },
                {"character": "S", "label": "sequela"},
            ],
        },
        "codes": codes,
        "categories": categories,
        "not_billable": [dict(item) for item in NOT_BILLABLE_SINCE],
        "notes": [
            "M79.1 (myalgia) includes myofascial pain syndrome (official inclusion term): its "
            "subcodes carry it as a search term.",
            "Only codes in this subset can be recorded as diagnoses; to add one, add its range "
            "to SELECTION in palpa/core/icd10_build.py and run bin/icd10cm-subset.",
        ],
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(data: dict[str, Any]) -> str:
    """The JSON text as committed: one code per line, so that a diff shows each change."""
    head = {k: v for k, v in data.items() if k not in ("codes", "categories", "not_billable")}
    lines = [json.dumps(head, indent=2, ensure_ascii=False)[:-2] + ","]
    for key in ("codes", "categories", "not_billable"):
        items = data[key]
        lines.append(f'  "{key}": [')
        for index, item in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            lines.append("    " + json.dumps(item, ensure_ascii=False) + comma)
        lines.append("  ]" + ("," if key != "not_billable" else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# The release files carried by simple-icd-10-cm, and the command line

PACKAGE = "simple-icd-10-cm"
PACKAGE_VERSION = "1.5.0"
TABULAR_FILE = "icd10c-tabular-April-1-2026.xml"
CODES_FILE = "code-list-April-2026.txt"
RELEASE = {
    "version": "2026-04-01",
    "name": "FY2026 release, April 1, 2026 update",
    "tabular_file": TABULAR_FILE,
    "codes_file": CODES_FILE,
    "carried_by": f"PyPI package {PACKAGE} {PACKAGE_VERSION} (MIT license; its data folder "
    "holds the CDC's Tabular List XML and a list of all codes of the release, unchanged)",
}
OUTPUT = Path(__file__).resolve().parent / "data" / "icd10cm_subset.json"


def release_files() -> tuple[Path, Path]:
    """The Tabular List and the code list inside the installed simple-icd-10-cm."""
    spec = util.find_spec("simple_icd_10_cm")
    if spec is None or spec.origin is None:
        raise BuildError(
            f"{PACKAGE} is not installed: pip install '{PACKAGE}=={PACKAGE_VERSION}' (a "
            "development dependency: requirements/dev.lock.txt)."
        )
    installed = metadata.version("simple_icd_10_cm")
    if installed != PACKAGE_VERSION:
        raise BuildError(f"{PACKAGE} {installed} is installed; this build reads {PACKAGE_VERSION}")
    data = Path(spec.origin).parent / "data"
    return data / TABULAR_FILE, data / CODES_FILE


def build_from_package() -> str:
    tabular, codes = release_files()
    release = {
        **RELEASE,
        "sha256": {TABULAR_FILE: sha256(tabular), CODES_FILE: sha256(codes)},
    }
    data = build(
        tabular_xml=tabular.read_text(encoding="utf-8"),
        all_codes=codes.read_text(encoding="utf-8").splitlines(),
        release=release,
    )
    return render(data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="icd10cm-subset",
        description="Build palpa/core/data/icd10cm_subset.json from the official ICD-10-CM "
        "release files carried by simple-icd-10-cm.",
    )
    parser.add_argument(
        "--check", action="store_true", help="only compare with the committed file (exit 1)"
    )
    args = parser.parse_args(argv)
    try:
        text = build_from_package()
    except BuildError as exc:
        print(f"icd10cm-subset: {exc}", file=sys.stderr)
        return 2
    if args.check:
        same = OUTPUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUTPUT} differs from a fresh build", file=sys.stderr)
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    count = text.count('"billable": true')
    print(f"wrote {OUTPUT} ({count} billable codes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
