"""What the SQL backends share: the read queries, the metrics rows and the cache of
decoded records. Private to :mod:`handoff.stores.sqlite` and
:mod:`handoff.stores.postgres`."""
