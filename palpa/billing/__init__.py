"""Charges, units, payers, fee schedules, superbills, invoices and the ledger."""
