"""A replay's input and output: a timeline of events, and what each event amounted to.

The rules that price them are in `calculator.engine.replay`; these are the plain data both sides share
(the API reads and writes them, usage builds them from stored messages).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from operator import attrgetter
from typing import Mapping, Sequence

from .cards import CardInfo
from .money import RoundedAmounts

UTC = timezone.utc
KINDS = ("user_message", "template", "message")
FREE_TYPES = ("free_customer_service", "free_entry_point", "free_allowance", "in_conversation")
RESULT_TYPES = ("regular", *FREE_TYPES, "refused", "inbound")



class EventError(ValueError):
    """An event that cannot be replayed; says which event (by input position) and field."""

    def __init__(self, index: int, field: str, message: str):
        super().__init__(f"events[{index}].{field}: {message}")
        self.index = index
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Event:
    """One delivered message: ``user_message`` (from the user), ``template`` or ``message`` (free-form)."""

    at: datetime  # aware; the request's time zone (UTC by default) decides the day and month
    user: str  # the user's phone number, international format
    kind: str
    category: str | None = None  # a template's category
    entry_point: bool = False  # a user message from a click-to-WhatsApp ad or a Page button


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    events: Sequence[Event]
    business_country: str | None = None
    auth_international: bool = False
    business_phone_numbers: int = 1
    timezone: tzinfo = UTC  # the account's: its months (tiers, the service allowance) and days run in it


@dataclass(frozen=True, slots=True)
class EventResult:
    """The verdict on one event. Equal verdicts are one shared object."""

    charged: bool
    type: str  # one of RESULT_TYPES
    category: str | None
    amount: Decimal
    market: str | None


@dataclass(frozen=True, slots=True)
class ReplayMarketResult(RoundedAmounts):
    market: str
    currency: str
    total: Decimal
    by_category: Mapping[str, Decimal]
    charged: Mapping[str, int]  # messages, or conversations on a conversation card


@dataclass(frozen=True, slots=True)
class ReplayResult(RoundedAmounts):
    """A whole timeline priced. Amounts are unrounded; ``rounded_*`` are for display."""

    cards: tuple[CardInfo, ...]  # every card used, in order of first use
    currency: str
    total: Decimal
    by_category: Mapping[str, Decimal]
    charged: Mapping[str, int]  # charged messages per category (conversations on conversation cards)
    by_market: tuple[ReplayMarketResult, ...]  # by descending total
    events: tuple[EventResult, ...]  # one per input event, in input order
    warnings: tuple[str, ...]

    @property
    def by_type(self) -> dict[str, int]:
        """Events per result type (counted on each access: the replay itself does not need it)."""
        counts = Counter(map(attrgetter("type"), self.events))
        return {kind: counts.get(kind, 0) for kind in RESULT_TYPES}

    @property
    def card(self) -> CardInfo:
        """The card, when one card priced the whole timeline."""
        if len(self.cards) != 1:
            raise ValueError(f"{len(self.cards)} cards priced this timeline")
        return self.cards[0]
