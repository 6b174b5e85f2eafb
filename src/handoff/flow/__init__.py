"""The write path, one module per step of the data flow (internal: not API).

``read``
    steps 1-2, the I/O: the records a verb needs (identity owner, journeys it may
    continue, a redelivery, recent interactions and notifications when a plan looks).
``intake``, ``desk``
    drafting, pure: an inbound or an agent verb becomes a :class:`~handoff.flow.plan.Draft`.
``plan``
    steps 3-6, pure: :func:`~handoff.flow.plan.plan` appends the draft to its journey,
    asks the policy, plans notifications and the handoff summary, and returns the
    changeset to commit with the outcome. No store, no clock, no I/O.
``run``
    :class:`~handoff.flow.run.Flow`: read, plan, write, for one event.
``verbs``
    what a board checks before it reads (the same for the sync and the asyncio board),
    and each agent verb's steps for one attempt.
``drain``
    the outbox's ``due`` and marks as steps, for the sync and the asyncio outbox.
``upkeep``
    the periodic tick and providers' delivery reports, through the same plan.
``bulk``
    backfill: many inbounds planned by the same ``Flow`` over an overlay, written in
    batches.
"""
