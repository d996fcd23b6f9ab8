"""Gettext catalogs and the warnings gate: PO I/O, extraction, merge, checks, review, localize."""
