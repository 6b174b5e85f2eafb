"""handoff: keep one customer journey across every support channel.

Customers move between channels mid-problem; ``handoff`` keeps their history in one
journey, records a handoff with a context summary at every switch, and tells the host
application when to notify the customer. Start with :class:`Switchboard`.
"""

from importlib import metadata as _metadata

# Records draw themselves through handoff.show, which installs its drawer when imported.
from handoff import show as show
from handoff.channels import ChannelProfile
from handoff.clock import Clock, FixedClock, RandomIds, SeededIds, SystemClock
from handoff.errors import (
    ConcurrencyConflict,
    DuplicateInteraction,
    HandoffError,
    IngestError,
    NotFound,
    PolicyError,
    StoreError,
    StoreUnavailable,
    ValidationError,
)
from handoff.events import Inbound, JourneyOutcome, Outcome, Suggestion, TickOutcome, Verdict
from handoff.identity import Identity, parse_identity
from handoff.models import (
    PRIORITIES,
    Callback,
    Contact,
    ContextSummary,
    Fact,
    Handoff,
    IdentityLink,
    Interaction,
    Journey,
    Notification,
)
from handoff.outbox import Outbox
from handoff.policy import Decision, Policy, PolicySettings
from handoff.serde import from_dict, from_json, to_dict, to_json
from handoff.stores import Store, open_store, register_store
from handoff.summary import SummarySpec
from handoff.switchboard import Switchboard

try:
    __version__ = _metadata.version("channel-handoff")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
del _metadata

__all__ = [
    "PRIORITIES",
    "Callback",
    "ChannelProfile",
    "Clock",
    "ConcurrencyConflict",
    "Contact",
    "ContextSummary",
    "Decision",
    "DuplicateInteraction",
    "Fact",
    "FixedClock",
    "Handoff",
    "HandoffError",
    "Identity",
    "IdentityLink",
    "Inbound",
    "IngestError",
    "Interaction",
    "Journey",
    "JourneyOutcome",
    "NotFound",
    "Notification",
    "Outbox",
    "Outcome",
    "Policy",
    "PolicyError",
    "PolicySettings",
    "RandomIds",
    "SeededIds",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Suggestion",
    "SummarySpec",
    "Switchboard",
    "SystemClock",
    "TickOutcome",
    "ValidationError",
    "Verdict",
    "__version__",
    "from_dict",
    "from_json",
    "open_store",
    "parse_identity",
    "register_store",
    "to_dict",
    "to_json",
]
