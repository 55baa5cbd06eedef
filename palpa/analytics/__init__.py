"""Outcome analytics: the episode table, expected results at evaluation, responder
analysis and the de-identified research export (issue 15; see docs/outcome-analytics.md)."""
