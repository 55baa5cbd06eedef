"""Many writers append to one organization's chain at once, each on its own connection:
every entry gets its own place, no link is lost or duplicated, and the chain verifies.

On PostgreSQL the head moves by one UPDATE that waits for a concurrent writer's and then
re-reads the row (ADR 0007); this is the test that the re-read holds. SQLite serializes
writers in IMMEDIATE transactions (unchanged); its test database is in memory with a shared
cache, where a second writer fails at once ("table is locked") instead of waiting, so the
threads run on PostgreSQL only.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from palpa.accounts.models import Organization, User
from palpa.audit.models import AuditChainHead, AuditEvent
from palpa.audit.services import read_and_record, record, verify_chain

WRITERS = 6
EACH = 15


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database refuses a second writer instead of queueing it",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_reads_and_writes_keep_one_unbroken_chain(owner: User) -> None:
    org = owner.organization
    assert org is not None
    first = record(actor=owner, action=AuditEvent.Action.UPDATE, organization=org)
    table = connection.ops.quote_name(Organization._meta.db_table)
    select = f"SELECT id, name FROM {table} WHERE id = %s"
    barrier = threading.Barrier(WRITERS)
    errors: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(EACH):
                if (n + i) % 2:
                    row = read_and_record(
                        select,
                        [org.pk],
                        actor=owner,
                        object_type="Organization",
                        object_id=str(org.pk),
                        detail={"writer": n, "i": i},
                    )
                    assert row is not None
                else:
                    record(
                        actor=owner,
                        action=AuditEvent.Action.UPDATE,
                        organization=org,
                        detail={"writer": n, "i": i},
                    )
        except Exception as exc:  # the test reports anything else
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    total = first.seq + WRITERS * EACH
    seqs = list(
        AuditEvent.objects.filter(organization=org).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, total + 1))
    written = {
        (e["detail"]["writer"], e["detail"]["i"])
        for e in AuditEvent.objects.filter(organization=org, seq__gt=first.seq).values("detail")
    }
    assert len(written) == WRITERS * EACH  # each entry once
    report = verify_chain(org.pk)
    assert report.ok, report.reason
    assert report.entries == total
    head = AuditChainHead.objects.get(organization=org)
    newest = AuditEvent.objects.get(organization=org, seq=total)
    assert (head.last_seq, head.last_hash, head.prev_hash) == (
        total,
        newest.hash,
        newest.prev_hash,
    )
