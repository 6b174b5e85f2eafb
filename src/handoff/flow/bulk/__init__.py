"""Backfill: many inbounds planned like one, written a batch at a time (internal: not API)."""
