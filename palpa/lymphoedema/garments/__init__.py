"""Compression garments: the prescription (a signed record), its fitting and
replacement due date, the clinic's reminder, and the printable order form. The same
rooms as the app: ``catalogue`` (the data file), ``services``, ``queries``, ``views``,
``api``, ``document``."""
