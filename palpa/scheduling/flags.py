"""Flags shown next to a patient on the schedule, filled by apps above scheduling.

Scheduling may not import billing or care (they sit higher), so they contribute here:
``palpa.scheduling.flags.register(provider)`` in their ``AppConfig.ready()``, where a
provider takes a patient and returns the flags that apply (e.g. billing's "unpaid
balance"). Scheduling itself contributes the screening STOP flag.

A flag names the capability needed to see it (``Flag.capability``): the screening STOP
flag needs ``screening.read_decision``, billing's balance ``billing.read_account``.
``flags_for`` and ``flags_for_many`` give each viewer only the flags they may see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from palpa.accounts.permissions import Capability, has_capability
from palpa.screening.queries import screening_status

if TYPE_CHECKING:
    from palpa.accounts.models import User
    from palpa.patients.models import Patient


@dataclass(frozen=True)
class Flag:
    code: str  # e.g. "unpaid_balance", "screening_stop"
    label: str  # shown to staff, e.g. "Unpaid balance $120.00"
    severity: str = "warning"  # "info" | "warning" | "danger"
    capability: Capability | None = (
        None  # needed to see the flag (None: anyone who sees the schedule)
    )

    def shown_to(self, viewer: User | None) -> bool:
        """None: no viewer to limit (the flag itself is wanted, not shown to someone)."""
        return viewer is None or self.capability is None or has_capability(viewer, self.capability)


Provider = Callable[["Patient"], Iterable[Flag]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def unregister(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def flags_for(patient: Patient, viewer: User | None = None) -> list[Flag]:
    """Every registered provider's flags for the patient that the viewer may see, in
    registration order."""
    return [
        flag for provider in list(_providers) for flag in provider(patient) if flag.shown_to(viewer)
    ]


# Batch providers: the calendar shows the flags of every patient on a page with one call
# per provider (a bounded number of queries however many appointments the week holds).
# A batch provider takes the patients and returns their flags by patient primary key.
ManyProvider = Callable[[Sequence["Patient"]], Mapping[int, Iterable[Flag]]]
_many_providers: list[ManyProvider] = []


def register_many(provider: ManyProvider) -> None:
    if provider not in _many_providers:
        _many_providers.append(provider)


def unregister_many(provider: ManyProvider) -> None:
    if provider in _many_providers:
        _many_providers.remove(provider)


def flags_for_many(
    patients: Sequence[Patient], viewer: User | None = None
) -> dict[int, list[Flag]]:
    """Every batch provider's flags for the patients that the viewer may see, by patient
    pk (each provider once)."""
    found: dict[int, list[Flag]] = {p.pk: [] for p in patients}
    if not patients:
        return found
    for provider in list(_many_providers):
        for pk, flags in provider(patients).items():
            found.setdefault(pk, []).extend(f for f in flags if f.shown_to(viewer))
    return found


# --- scheduling's own flag -------------------------------------------------------------


def screening_flags(patient: Patient) -> list[Flag]:
    """The schedule's own flag: a patient whose screening says STOP today."""
    status = screening_status(patient)
    if status.effective_decision == "STOP":
        return [
            Flag(
                "screening_stop",
                "Screening: STOP (evaluation only)",
                "danger",
                Capability.SCREENING_READ_DECISION,
            )
        ]
    return []
