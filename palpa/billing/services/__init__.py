"""The only code that writes billing records, one module per topic.

Every verb checks the actor's role (``palpa.billing.queries``) and organization,
validates everything before it writes, runs in one transaction and leaves one audit
entry. Ledger entries are only ever added: a correction is a reversing entry, a refund,
an adjustment or a transfer, never a change.

The topics carry the names the pages, the API and the tests use:

- ``configuration``: payers, fees, prices, code mappings, identifiers, prepaid plans;
- ``coverage``: a patient's insurance coverage;
- ``charges``: charge capture from signed notes, recalculation, ready, void;
- ``ledger``: payments, refunds, adjustments, transfers, reversals;
- ``invoices``: issuing an invoice;
- ``prepaids``: packages and memberships sold, billed and ended;
- ``_common``: the refusals and helpers they share.

The audited reads (``audit_account_read`` and the like) live in ``billing.queries`` and
are re-exported here, so ``services.X`` keeps working for every name.
"""

from __future__ import annotations

from palpa.billing.queries import (
    audit_account_read as audit_account_read,
)
from palpa.billing.queries import (
    audit_billing_search as audit_billing_search,
)
from palpa.billing.queries import (
    audit_business_read as audit_business_read,
)
from palpa.billing.queries import (
    audit_charge_read as audit_charge_read,
)
from palpa.billing.services._common import (
    CURRENCY as CURRENCY,
)
from palpa.billing.services._common import (
    ChargeRefused as ChargeRefused,
)
from palpa.billing.services._common import (
    Kind as Kind,
)
from palpa.billing.services._common import (
    LedgerRefused as LedgerRefused,
)
from palpa.billing.services._common import (
    Resp as Resp,
)
from palpa.billing.services._common import (
    parse_amount as parse_amount,
)
from palpa.billing.services.charges import (
    blocking_problems as blocking_problems,
)
from palpa.billing.services.charges import (
    capture_missing as capture_missing,
)
from palpa.billing.services.charges import (
    capture_note_charges as capture_note_charges,
)
from palpa.billing.services.charges import (
    code_map as code_map,
)
from palpa.billing.services.charges import (
    mark_charge_ready as mark_charge_ready,
)
from palpa.billing.services.charges import (
    no_service_price as no_service_price,
)
from palpa.billing.services.charges import (
    on_note_entered_in_error as on_note_entered_in_error,
)
from palpa.billing.services.charges import (
    on_note_signed as on_note_signed,
)
from palpa.billing.services.charges import (
    recalculate_charge as recalculate_charge,
)
from palpa.billing.services.charges import (
    visits_left as visits_left,
)
from palpa.billing.services.charges import (
    void_charge as void_charge,
)
from palpa.billing.services.configuration import (
    MODIFIER as MODIFIER,
)
from palpa.billing.services.configuration import (
    PAYER_FIELDS as PAYER_FIELDS,
)
from palpa.billing.services.configuration import (
    TAX_ID_WRITTEN as TAX_ID_WRITTEN,
)
from palpa.billing.services.configuration import (
    add_payer as add_payer,
)
from palpa.billing.services.configuration import (
    add_prepaid_plan as add_prepaid_plan,
)
from palpa.billing.services.configuration import (
    map_technique as map_technique,
)
from palpa.billing.services.configuration import (
    parse_tax_id as parse_tax_id,
)
from palpa.billing.services.configuration import (
    set_billing_identifiers as set_billing_identifiers,
)
from palpa.billing.services.configuration import (
    set_fee as set_fee,
)
from palpa.billing.services.configuration import (
    set_place_of_service as set_place_of_service,
)
from palpa.billing.services.configuration import (
    set_self_pay_price as set_self_pay_price,
)
from palpa.billing.services.configuration import (
    set_service_price as set_service_price,
)
from palpa.billing.services.configuration import (
    update_payer as update_payer,
)
from palpa.billing.services.coverage import (
    COVERAGE_FIELDS as COVERAGE_FIELDS,
)
from palpa.billing.services.coverage import (
    add_coverage as add_coverage,
)
from palpa.billing.services.coverage import (
    end_coverage as end_coverage,
)
from palpa.billing.services.coverage import (
    mark_coverage_entered_in_error as mark_coverage_entered_in_error,
)
from palpa.billing.services.invoices import (
    issue_invoice as issue_invoice,
)
from palpa.billing.services.ledger import (
    ADJUSTMENT_REASONS as ADJUSTMENT_REASONS,
)
from palpa.billing.services.ledger import (
    APPLIED_KINDS as APPLIED_KINDS,
)
from palpa.billing.services.ledger import (
    open_on_visit as open_on_visit,
)
from palpa.billing.services.ledger import (
    post_adjustment as post_adjustment,
)
from palpa.billing.services.ledger import (
    record_payment as record_payment,
)
from palpa.billing.services.ledger import (
    refund_payment as refund_payment,
)
from palpa.billing.services.ledger import (
    refundable as refundable,
)
from palpa.billing.services.ledger import (
    reverse_entry as reverse_entry,
)
from palpa.billing.services.ledger import (
    transfer_to_patient as transfer_to_patient,
)
from palpa.billing.services.prepaids import (
    bill_membership_month as bill_membership_month,
)
from palpa.billing.services.prepaids import (
    end_prepaid as end_prepaid,
)
from palpa.billing.services.prepaids import (
    sell_prepaid as sell_prepaid,
)
