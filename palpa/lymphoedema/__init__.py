"""Lymphoedema: limb measurements and volumes (this part: the pure volume rules and
``palpa limb-volume``; see docs/lymphoedema.md)."""
