"""What each role may do: one table of roles and capabilities, and the checks that read it.

Every role check in Palpa's services, views, API and FHIR server asks here (``require``,
``has_capability``, the route gates of ``accounts.gates``); no other module compares role
names. A capability is named for what it allows (``screening.read_decision``,
``clinical.author``, ``billing.post_payment``). ``palpa roles --markdown`` renders the
table for the README, and a test keeps the two equal.

Besides the role, two things decide:

- **the organization**: staff act only on their own organization's records (queries are
  limited to it; another organization's record is "not found");
- **being a practitioner**: capabilities marked ``practitioner`` (writing and signing
  clinical records, addenda) are held only by an account linked to an active practitioner
  of its organization. The role grants them; the practitioner record makes them usable.
  An owner who does not treat patients reads every clinical record but writes none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from palpa.accounts.models import Role

if TYPE_CHECKING:
    from palpa.accounts.models import User


class Capability(StrEnum):
    # the staff member's own account
    STAFF = "staff.basic"
    SECOND_FACTOR = "staff.second_factor"
    # the organization
    ORGANIZATION_MANAGE = "organization.manage"
    AUDIT_READ = "audit.read"
    # patients
    PATIENTS_READ = "patients.read"
    PATIENTS_WRITE = "patients.write"
    PATIENT_MESSAGES = "patients.messages"
    # clinical records
    CLINICAL_READ = "clinical.read"
    CLINICAL_WRITE = "clinical.write"
    CLINICAL_AUTHOR = "clinical.author"
    CLINICAL_ADDENDUM = "clinical.addendum"
    CLINICAL_CORRECT_OTHERS = "clinical.correct_others"
    # screening
    SCREENING_READ_DECISION = "screening.read_decision"
    SCREENING_SEND_INTAKE = "screening.send_intake"
    SCREENING_OVERRIDE = "screening.override"
    SCREENING_MANAGE_RULES = "screening.manage_rules"
    # practitioners
    PRACTITIONERS_READ = "practitioners.read"
    PRACTITIONERS_MANAGE = "practitioners.manage"
    PRACTITIONERS_OWN_HOURS = "practitioners.own_hours"
    # schedule
    SCHEDULE_READ = "schedule.read"
    SCHEDULE_BOOK = "schedule.book"
    SCHEDULE_CONFIGURE = "schedule.configure"
    # physicians and referrals
    PHYSICIANS_READ = "physicians.read"
    PHYSICIANS_WRITE = "physicians.write"
    REFERRALS_READ = "referrals.read"
    REFERRALS_WRITE = "referrals.write"
    REFERRALS_OVERRIDE = "referrals.override"
    REFERRALS_CONFIGURE = "referrals.configure"
    # reports to the physician (read: clinical.read; write: clinical.author)
    REPORTS_CONFIGURE = "reports.configure"
    # billing
    BILLING_READ_ACCOUNT = "billing.read_account"
    BILLING_READ_CHARGES = "billing.read_charges"
    BILLING_POST_PAYMENT = "billing.post_payment"
    BILLING_REVIEW_CHARGES = "billing.review_charges"
    BILLING_CORRECT_LEDGER = "billing.correct_ledger"
    BILLING_CONFIGURE = "billing.configure"
    BILLING_SUPERBILL = "billing.superbill"
    BILLING_SUPERBILL_ANY = "billing.superbill_any"
    BILLING_STATEMENT = "billing.statement"
    BILLING_RECEIPT = "billing.receipt"
    BILLING_EXPORT_CLAIMS = "billing.export_claims"
    # the business's figures (no patient's clinical content)
    BUSINESS_READ = "business.read"
    BUSINESS_OPERATIONS = "business.operations"


@dataclass(frozen=True)
class Grant:
    """One row of the table: what the capability allows and the roles that hold it."""

    allows: str  # completes "Your role may not …" (refusals) and heads the README's row
    roles: frozenset[str]
    note: str = ""  # more on what is covered, for the README
    practitioner: bool = False  # usable only by an account linked to an active practitioner


O, T, F, B = Role.OWNER, Role.THERAPIST, Role.FRONT_DESK, Role.BILLER  # noqa: E741
ROLES: tuple[str, ...] = (O, T, F, B)  # the table's columns, in this order


def _grant(allows: str, *roles: str, note: str = "", practitioner: bool = False) -> Grant:
    return Grant(allows, frozenset(roles), note, practitioner)


C = Capability
TABLE: dict[Capability, Grant] = {
    C.STAFF: _grant(
        "use Palpa as staff",
        O,
        T,
        F,
        B,
        note="sign in, the dashboard, the organization and its locations as FHIR resources, "
        "the report policy, their own API tokens",
    ),
    C.SECOND_FACTOR: _grant(
        "must sign in with a second factor",
        O,
        T,
        note="TOTP, unless the organization turns it off in Settings (a duty, not a right)",
    ),
    C.ORGANIZATION_MANAGE: _grant(
        "manage the organization",
        O,
        note="settings, locations, rooms, staff accounts; revoking any staff member's API token",
    ),
    C.AUDIT_READ: _grant("read the audit log", O),
    C.PATIENTS_READ: _grant(
        "read patients", O, T, F, B, note="search, demographics, consents (FHIR Patient, Consent)"
    ),
    C.PATIENTS_WRITE: _grant(
        "change patients", O, T, F, note="register, edit demographics and status, record consents"
    ),
    C.PATIENT_MESSAGES: _grant(
        "see and resend messages to patients",
        O,
        T,
        F,
        note="the chart's Messages: what was sent, when, how, whether it arrived; resend",
    ),
    C.CLINICAL_READ: _grant(
        "read clinical records",
        O,
        T,
        note="screenings with their findings and clearances, allergies, evaluations, plans "
        "of care, treatment notes, instrument scores, progress and discharge reports",
    ),
    C.CLINICAL_WRITE: _grant(
        "record clinical facts",
        O,
        T,
        note="allergies, screenings entered by staff, visit confirmations, physicians' "
        "clearances, instrument scores and links; sending and faxing signed reports, and "
        "sharing them with the patient",
    ),
    C.CLINICAL_AUTHOR: _grant(
        "write clinical records",
        O,
        T,
        note="start, change and sign their own treatment notes, evaluations, plans of care and "
        "reports to the physician; revise plans, re-assess, discharge; mark their own records "
        "entered in error",
        practitioner=True,
    ),
    C.CLINICAL_ADDENDUM: _grant(
        "add addenda",
        O,
        T,
        note="a signed addendum, under their own name, to any signed treatment note or "
        "evaluation of the organization",
        practitioner=True,
    ),
    C.CLINICAL_CORRECT_OTHERS: _grant(
        "correct other practitioners' records",
        O,
        note="mark another practitioner's treatment note, evaluation or plan of care "
        "entered in error, with a reason",
    ),
    C.SCREENING_READ_DECISION: _grant(
        "see screening decisions",
        O,
        T,
        F,
        note="PROCEED, MODIFY, CLEARANCE or STOP, without findings, wherever it shows (the "
        "chart's banner, the calendar, appointment pages, the API's `screening_decision` and "
        "STOP flag, `/screening-flag`)",
    ),
    C.SCREENING_SEND_INTAKE: _grant("send intake links", O, T, F),
    C.SCREENING_OVERRIDE: _grant(
        "override a clearance", O, note="treatment without a physician's clearance, in writing"
    ),
    C.SCREENING_MANAGE_RULES: _grant(
        "manage screening rules", O, note="publish rule sets, set the screening policy"
    ),
    C.PRACTITIONERS_READ: _grant("read practitioners and their licenses", O, T, F, B),
    C.PRACTITIONERS_MANAGE: _grant(
        "manage practitioners",
        O,
        note="add practitioners and licenses, record verification, anyone's hours and time off",
    ),
    C.PRACTITIONERS_OWN_HOURS: _grant(
        "keep their own hours", O, T, note="weekly hours, time off, their calendar feed"
    ),
    C.SCHEDULE_READ: _grant("see the schedule", O, T, F, B, note="calendar, waitlist, slots"),
    C.SCHEDULE_BOOK: _grant(
        "change the schedule",
        O,
        T,
        F,
        note="book, move, cancel, arrivals and no-shows, courses, the waitlist, online "
        "booking notices",
    ),
    C.SCHEDULE_CONFIGURE: _grant(
        "configure the schedule",
        O,
        note="appointment types, room features, online booking, reminders, every calendar feed",
    ),
    C.PHYSICIANS_READ: _grant("read the physician directory", O, T, F, B),
    C.PHYSICIANS_WRITE: _grant("change the physician directory", O, T, F),
    C.REFERRALS_READ: _grant("read referrals and their prescriptions", O, T, F),
    C.REFERRALS_WRITE: _grant("change referrals", O, T, F, note="record, change, cancel"),
    C.REFERRALS_OVERRIDE: _grant(
        "override a referral", O, note="care or bookings beyond what the referral covers"
    ),
    C.REFERRALS_CONFIGURE: _grant("set the referral warnings", O),
    C.REPORTS_CONFIGURE: _grant(
        "set the report policy", O, note="when progress reports are due, how long links work"
    ),
    C.BILLING_READ_ACCOUNT: _grant(
        "read patient accounts",
        O,
        T,
        F,
        B,
        note="ledger, payments, balances, payers, prices, the billing settings (tax id masked)",
    ),
    C.BILLING_READ_CHARGES: _grant("read charges", O, T, B, note="codes, units, amounts"),
    C.BILLING_POST_PAYMENT: _grant(
        "take payments", O, F, B, note="payments, coverage, packages and memberships, invoices"
    ),
    C.BILLING_REVIEW_CHARGES: _grant("review charges", O, B, note="mark ready, recalculate, void"),
    C.BILLING_CORRECT_LEDGER: _grant(
        "correct the ledger", O, B, note="adjustments, transfers, refunds, reversals"
    ),
    C.BILLING_CONFIGURE: _grant(
        "configure billing",
        O,
        B,
        note="payers, fee schedules, code maps, prices, billing identifiers",
    ),
    C.BILLING_SUPERBILL: _grant(
        "download superbills",
        O,
        T,
        B,
        note="of the visits they treated; of every visit with `billing.superbill_any`",
    ),
    C.BILLING_SUPERBILL_ANY: _grant("download any visit's superbill", O, B),
    C.BILLING_STATEMENT: _grant("download patient statements", O, F, B),
    C.BILLING_RECEIPT: _grant("download payment receipts", O, F, B, note="of patients' payments"),
    C.BILLING_EXPORT_CLAIMS: _grant("export claims", O, B, note="CMS-1500 fields"),
    C.BUSINESS_READ: _grant(
        "see the business page",
        O,
        B,
        note="revenue billed and collected, outstanding balances (patients who owe, by name)",
    ),
    C.BUSINESS_OPERATIONS: _grant(
        "see the practice's operating figures",
        O,
        note="on the business page: visits, no-shows and late cancellations, utilization per "
        "therapist and room, referral sources, unsigned notes by therapist",
    ),
}


# --- being a practitioner ----------------------------------------------------------------
# accounts sits below practitioners, so the practitioners app tells this module (in its
# AppConfig.ready) how to ask whether an account is an active practitioner.

_is_practitioner: Callable[[User], bool] | None = None


def register_practitioner_check(check: Callable[[User], bool]) -> None:
    global _is_practitioner
    _is_practitioner = check


def is_practitioner(user: User) -> bool:
    """Asked once per request for the signed-in user (``StaffSessionMiddleware`` gives
    ``request.user`` a memo; a page asks it for each section it shows), each time for any
    other ``User`` object."""
    if user.pk is None or _is_practitioner is None:
        return False
    memo: list[bool] | None = getattr(user, "practitioner_memo", None)
    if memo is None:
        return _is_practitioner(user)
    if not memo:
        memo.append(_is_practitioner(user))
    return memo[0]


# --- checks -----------------------------------------------------------------------------


def role_has(role: str, capability: Capability) -> bool:
    """The table's cell: does the role hold the capability?"""
    return role in TABLE[capability].roles


def roles_with(capability: Capability) -> list[str]:
    return [role for role in ROLES if role_has(role, capability)]


def has_capability(user: User, capability: Capability) -> bool:
    """May this staff member do what the capability allows (their role, their being an
    active staff member of an organization, and a practitioner where the row says so)?"""
    if not user.is_authenticated or not user.is_active or user.organization_id is None:
        return False
    if not role_has(user.role, capability):
        return False
    return not TABLE[capability].practitioner or is_practitioner(user)


def require(user: User, capability: Capability, message: str = "") -> None:
    """PermissionDenied unless the user has the capability (``message`` says why)."""
    if has_capability(user, capability):
        return
    grant = TABLE[capability]
    if message:
        raise PermissionDenied(message)
    if grant.practitioner and role_has(getattr(user, "role", ""), capability):
        raise PermissionDenied(
            f"Only an active practitioner of this organization may {grant.allows} "
            f"({capability.value})."
        )
    raise PermissionDenied(f"Your role may not {grant.allows} ({capability.value}).")


def require_own_or(user: User, others: Capability | None, *, own: bool, what: str) -> None:
    """The record's own author acts on it; anyone else needs ``others`` (None: nobody)."""
    if own or (others is not None and has_capability(user, others)):
        return
    if others is None:
        raise PermissionDenied(f"Only {what}'s own practitioner may do this.")
    raise PermissionDenied(
        f"Only {what}'s own practitioner may do this, or a role that may {TABLE[others].allows}."
    )


def tenant_id(user: User) -> int:
    """The actor's organization id; staff without one are refused."""
    if user.organization_id is None:
        raise PermissionDenied("Only staff of an organization can do this.")
    return user.organization_id


# --- for templates -----------------------------------------------------------------------


class Can(Mapping[str, "Mapping[str, bool]"]):
    """``can.clinical.read`` in a template: worked out in Python, on first use, once."""

    def __init__(self, user: User | None) -> None:
        self._user = user
        self._known: dict[Capability, bool] = {}

    def allowed(self, capability: Capability) -> bool:
        if capability not in self._known:
            self._known[capability] = self._user is not None and has_capability(
                self._user, capability
            )
        return self._known[capability]

    def __getitem__(self, area: str) -> Mapping[str, bool]:
        if area not in _AREAS:
            raise KeyError(area)
        return _Area(self, area)

    def __iter__(self) -> Iterator[str]:
        return iter(_AREAS)

    def __len__(self) -> int:
        return len(_AREAS)


class _Area(Mapping[str, bool]):
    def __init__(self, can: Can, area: str) -> None:
        self._can, self._area = can, area

    def __getitem__(self, name: str) -> bool:
        try:
            capability = Capability(f"{self._area}.{name}")
        except ValueError:
            raise KeyError(name) from None
        return self._can.allowed(capability)

    def __iter__(self) -> Iterator[str]:
        return (
            c.value.split(".", 1)[1] for c in Capability if c.value.startswith(f"{self._area}.")
        )

    def __len__(self) -> int:
        return sum(1 for _ in self)


_AREAS = tuple(dict.fromkeys(c.value.split(".", 1)[0] for c in Capability))


# --- the README's table -------------------------------------------------------------------

ROLE_HEADINGS: dict[str, str] = {O: "owner", T: "therapist", F: "front desk", B: "biller"}


def roles_markdown() -> str:
    """The table as Markdown, one row per capability (``palpa roles --markdown``)."""
    head = "| capability | allows | " + " | ".join(ROLE_HEADINGS[r] for r in ROLES) + " |"
    rule = "| --- | --- | " + " | ".join("---" for _ in ROLES) + " |"
    rows = [head, rule]
    for capability, grant in TABLE.items():
        mark = "yes, as a practitioner" if grant.practitioner else "yes"
        cells = [mark if role in grant.roles else "—" for role in ROLES]
        allows = f"{grant.allows}: {grant.note}" if grant.note else grant.allows
        rows.append(f"| `{capability.value}` | {allows} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
