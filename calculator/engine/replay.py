"""Exact timelines, event by event (docs/pricing-rules.md, "Exact rules, event by event").

A replay walks every event in time order, keeps each user's windows (customer service, free entry
point, open conversations) and the business's monthly counts (free service allowance, volume tiers per
market and category), and says for every business message whether and at what rate it is charged.

It is built for hundreds of thousands of events a second: a user's market is resolved once per market
mapping, the card and month are looked up once per day of events, a charged message advances an
incremental tier cursor, and verdicts are shared immutable objects rather than one allocation per event.
Amounts are added up only at the end, as hits per tier times the tier's rate, so no Decimal arithmetic
runs per event.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Callable, Iterable, Sequence

from calculator.engine.markets import InvalidPhoneNumber, MappingRule, MarketMap, calling_code_of

from .cards import CATEGORIES, CardSnapshot, Tier, ladder_ends, recipient_abroad, tier_group, tier_at
from .estimate import NORTH_AMERICA, US_MARKETING_PAUSED_FROM, US_MARKETING_WARNING, moved_warning
from .money import ZERO
from .timeline import (FREE_TYPES, KINDS, Event, EventError, EventResult, ReplayMarketResult, ReplayRequest,
                       ReplayResult)
from .vocabulary import counted

UTC = timezone.utc
ONE_DAY = timedelta(days=1)
_DAWN = datetime.min.replace(tzinfo=UTC)  # before every event: the first one starts a day
# The last day an event may fall on: far enough from datetime's end that every window (hours set on a
# card) still fits. Inputs check it first (calculator.api_input); the engine says so rather than overflow.
LAST_DAY = date(2999, 12, 31)
TEMPLATE_CATEGORIES = {  # as sent -> as billed; authentication_international is the rules' call, not the sender's
    "marketing": "marketing", "marketing_lite": "marketing", "utility": "utility",
    "authentication": "authentication", "authentication_international": "authentication",
}
ABROAD_CATEGORIES = {**TEMPLATE_CATEGORIES, "authentication": "authentication_international",
                     "authentication_international": "authentication_international"}


def replay(request: ReplayRequest, card_for: Callable[[datetime], CardSnapshot] | CardSnapshot,
           market_map_for: Callable[[date], MarketMap] | None = None) -> ReplayResult:
    """Price every event of a timeline.

    ``card_for`` is one card for the whole timeline (the rules of ``cards_on``), or a function giving the
    card in force at a time; it is called once per calendar day (in the request's time zone, UTC by
    default) that has events, with that day's first event time in that zone. ``market_map_for`` gives the market mapping of a day; without it each card's own
    mapping is used. Every user is resolved again when the mapping object changes, so it should return
    one object per period without changes (`market_maps_by_period` makes such a function). Raises
    EventError for an event that cannot be priced.
    """
    return _Replay(request, card_for, market_map_for).run()


def market_maps_by_period(rules: Iterable[MappingRule]) -> Callable[[date], MarketMap]:
    """A ``market_map_for`` giving the same MarketMap object for every day of a period in which no mapping
    rule starts or ends, so a replay resolves its users once per period rather than once per day."""
    rules = tuple(rules)
    changes = sorted({rule.effective_from for rule in rules if rule.effective_from}
                     | {rule.effective_to + ONE_DAY for rule in rules if rule.effective_to})
    maps: dict[date, MarketMap] = {}

    def market_map_for(day: date) -> MarketMap:
        start = changes[bisect_right(changes, day) - 1] if changes and changes[0] <= day else date.min
        found = maps.get(start)
        if found is None:
            found = maps[start] = MarketMap.for_date(rules, day)
        return found

    return market_map_for


class _Count:
    """Charged messages of one tier group in one market this month."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


class _Month:
    """The business's monthly counters: tier counts per market and group, the allowance used."""

    __slots__ = ("counts", "allowance_used")

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], _Count] = {}
        self.allowance_used = 0

    def count(self, market: str, category: str) -> _Count:
        key = (market, tier_group(category))
        found = self.counts.get(key)
        if found is None:
            found = self.counts[key] = _Count()
        return found


class _Cursor:
    """Where one market's category stands on its tier ladder this month, under one card.

    Moves forward as the shared count grows. It counts the messages it charged, and per tier only when it
    moves on, so a charge (`_Replay._charge`) is two increments and a comparison.
    """

    __slots__ = ("market", "category", "ladder", "ends", "has_rate", "results", "count", "index", "limit",
                 "result", "charged", "base", "hits")

    def __init__(self, market: str, category: str, ladder: tuple[Tier, ...], count: _Count):
        self.market, self.category, self.count = market, category, count
        self.has_rate = bool(ladder)
        self.ladder = ladder or (Tier(0, None, ZERO),)  # no rate: charged, priced 0, and warned about
        self.ends = ladder_ends(self.ladder)
        self.results = [EventResult(True, "regular", category, tier.rate, market) for tier in self.ladder]
        self.hits = [0] * len(self.ladder)
        self.charged = self.base = self.index = 0
        self.move_to(count.n + 1)

    def move_to(self, position: int) -> None:
        """Close the current tier's tally and find the tier of ``position``."""
        self.hits[self.index] += self.charged - self.base
        self.base = self.charged
        index = self.index = tier_at(self.ends, position, self.index)
        self.limit, self.result = self.ends[index], self.results[index]

    @property
    def cost(self) -> Decimal:
        hits = list(self.hits)
        hits[self.index] += self.charged - self.base
        return sum((count * tier.rate for count, tier in zip(hits, self.ladder) if count), ZERO)


class _Market:
    """One market under one card: its shared verdicts and this month's cursors."""

    __slots__ = ("name", "card", "month", "cursors", "free", "inbound", "refused")

    def __init__(self, name: str, card: "_Card"):
        self.name, self.card = name, card
        self.month: _Month | None = None
        self.cursors: dict[str, _Cursor] = {}
        self.free = {kind: {category: EventResult(False, kind, category, ZERO, name) for category in CATEGORIES}
                     for kind in FREE_TYPES}
        self.inbound = EventResult(False, "inbound", None, ZERO, name)
        self.refused = EventResult(False, "refused", "service", ZERO, name)

    def open_cursor(self, category: str) -> _Cursor:
        cursor = self.cursors[category] = self.card.cursor(self.name, category, self.month)
        return cursor


class _Card:
    """A card prepared for one replay: durations, the month's allowance and markets on demand."""

    __slots__ = ("snapshot", "rules", "service_window", "entry_point_window", "answer_window", "conversation",
                 "allowance", "markets", "cursors", "maps")

    def __init__(self, snapshot: CardSnapshot, business_phone_numbers: int, cursors: list[_Cursor]):
        rules = self.rules = snapshot.rules
        self.snapshot = snapshot
        self.service_window = timedelta(hours=rules.service_window_hours)
        self.entry_point_window = timedelta(hours=rules.free_entry_point_hours)
        self.answer_window = timedelta(hours=rules.free_entry_point_answer_hours)
        self.conversation = timedelta(hours=rules.conversation_hours)
        self.allowance = rules.allowance_for(business_phone_numbers)
        self.markets: dict[str, _Market] = {}
        self.cursors = cursors  # every cursor of the replay, for the final sums
        self.maps: dict[int, tuple[MarketMap, MarketMap]] = {}

    def priced(self, market_map: MarketMap) -> MarketMap:
        """The day's mapping as this card prices it: a market the card has no rates for is priced where the
        card's own mapping placed its countries (never at 0); one object per mapping, so users bind once."""
        found = self.maps.get(id(market_map))
        if found is None or found[0] is not market_map:
            snapshot = self.snapshot
            found = self.maps[id(market_map)] = (market_map, market_map.priced_by(snapshot.rates, snapshot.market_map))
        return found[1]

    def market(self, name: str) -> _Market:
        found = self.markets.get(name)
        if found is None:
            found = self.markets[name] = _Market(name, self)
        return found

    def cursor(self, market: str, category: str, month: _Month) -> _Cursor:
        cursor = _Cursor(market, category, self.snapshot.ladder(market, category), month.count(market, category))
        self.cursors.append(cursor)
        return cursor


class _User:
    """One user's windows and, per card and mapping, the market they are billed as."""

    __slots__ = ("phone", "binding", "mapped_with", "place", "market", "categories",
                 "service_window_end", "entry_point_end", "answer_deadline", "open")

    def __init__(self, phone: str):
        self.phone = phone
        self.binding: object = None
        self.mapped_with: MarketMap | None = None
        self.place: tuple[str, str | None] = ("", None)  # market name and country (ISO) under mapped_with
        self.market: _Market | None = None
        self.categories = TEMPLATE_CATEGORIES  # template category as sent -> as billed to this user
        self.service_window_end: datetime | None = None
        self.entry_point_end: datetime | None = None
        self.answer_deadline: datetime | None = None  # an entry-point message waiting for its answer
        self.open: dict[str, datetime] = {}  # open conversations: category -> end

    def opens_entry_point(self, at: datetime, card: _Card) -> bool:
        """A business message answering an entry-point message in time opens a free window from now."""
        deadline, self.answer_deadline = self.answer_deadline, None
        if at < deadline:
            self.entry_point_end = at + card.entry_point_window
            return True
        return False


class _Replay:
    """One replay run: the clock (day, month, card, mapping), the users, and the verdicts.

    The per-event path is written for speed: one method call per business message (one more when it is
    charged), attributes read once, verdicts shared.
    """

    def __init__(self, request: ReplayRequest, card_for, market_map_for):
        self.request = request
        self.market_map_for = market_map_for
        self.cards: dict[int, _Card] = {}
        self.cursors: list[_Cursor] = []
        if callable(card_for):
            self.card_for = card_for
        else:  # one card for everything: known (and reported) even for an empty timeline
            fixed = self._prepared(card_for)
            self.card_for = lambda at: fixed.snapshot
        self.abroad_without_rate: set[str] = set()  # markets with recipients abroad but no international rate
        self.refused = 0
        self.month_key: tuple[int, int] | None = None
        self.month = _Month()
        self.card: _Card | None = None
        self.market_map: MarketMap | None = None
        self.binding: object = None
        self.placements: dict[tuple[str, str | None], tuple[_Market, dict[str, str]]] = {}
        self.utility_free = False
        self.price = self._by_message
        self.index = 0  # the event that started the current day, for its errors
        self.last_day = LAST_DAY
        self.moved: set[tuple[str, str, str]] = set()  # (card, market of the day, priced as) of placed users

    def run(self) -> ReplayResult:
        events = self.request.events
        verdicts: list[EventResult | None] = [None] * len(events)
        users: dict[str, _User] = {}
        day_end, binding, price, service_window, answer_window = _DAWN, None, None, None, None
        for index in _time_order(events):
            event = events[index]
            at = event.at
            if at.tzinfo is not UTC:
                at = _as_utc(index, at)
            if at >= day_end:
                self.index = index
                day_end = self._new_day(at)
                binding, price = self.binding, self.price
                service_window, answer_window = self.card.service_window, self.card.answer_window
            user = users.get(event.user)
            if user is None:
                user = users[event.user] = _User(event.user)
            if user.binding is not binding:
                self._bind(user, index)
            kind = event.kind
            if kind == "user_message":
                user.service_window_end = at + service_window
                if event.entry_point:
                    user.answer_deadline = at + answer_window
                verdicts[index] = user.market.inbound
            elif kind == "template" or kind == "message":
                verdicts[index] = price(user, at, kind, event.category, index)
            else:
                raise EventError(index, "kind", f"'{kind}' is not one of {', '.join(KINDS)}")
        return self._result(verdicts)

    def _new_day(self, at: datetime) -> datetime:
        """Look up what can change from one day to the next: the month, the card and the mapping.

        Days and months are the account's own (`ReplayRequest.timezone`), as Meta counts them; `card_for`
        gets the time in that zone, so the card in force is the one of the account's day.
        """
        tz = self.request.timezone
        if tz is not UTC:
            at = at.astimezone(tz)
        day = at.date()
        if day > self.last_day:
            raise EventError(self.index, "at", f"must be on or before {LAST_DAY.isoformat()}")
        if (day.year, day.month) != self.month_key:
            self.month_key, self.month = (day.year, day.month), _Month()
        snapshot = self.card_for(at)
        card = self._prepared(snapshot)
        market_map = card.priced(self.market_map_for(day) if self.market_map_for else snapshot.market_map)
        if card is not self.card or market_map is not self.market_map:
            self.card, self.market_map, self.binding, self.placements = card, market_map, object(), {}
            self.utility_free = card.rules.utility_free_in_service_window
            self.price = self._by_conversation if card.rules.per_conversation else self._by_message
        if tz is UTC:
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + ONE_DAY
        return datetime.combine(day + ONE_DAY, datetime.min.time(), tzinfo=tz).astimezone(UTC)

    def _prepared(self, snapshot: CardSnapshot) -> _Card:
        card = self.cards.get(id(snapshot))
        if card is None or card.snapshot is not snapshot:
            card = self.cards[id(snapshot)] = _Card(snapshot, self.request.business_phone_numbers, self.cursors)
        return card

    def _bind(self, user: _User, index: int) -> None:
        """Which market the user is billed as under today's mapping and card, and how their templates bill."""
        market_map = self.market_map
        if user.mapped_with is not market_map:
            user.place = _resolve_user(user.phone, market_map, index)
            user.mapped_with = market_map
            if market_map.moved:
                wanted = market_map.moved_from(user.place[1])
                if wanted is not None:
                    self.moved.add((self.card.snapshot.name, wanted, user.place[0]))
        placement = self.placements.get(user.place)
        if placement is None:
            placement = self.placements[user.place] = self._placement(*user.place)
        user.market, user.categories = placement
        user.binding = self.binding

    def _placement(self, market: str, country: str | None) -> tuple[_Market, dict[str, str]]:
        """A market and country's verdicts and template billing, shared by every user placed there."""
        request = self.request
        abroad = request.auth_international and recipient_abroad(request.business_country, country)
        has_rate = self.card.snapshot.rate(market, "authentication_international") is not None
        if abroad and not has_rate:
            self.abroad_without_rate.add(market)
        return self.card.market(market), ABROAD_CATEGORIES if abroad and has_rate else TEMPLATE_CATEGORIES

    def _category(self, user: _User, at: datetime, kind: str, sent_category: str | None,
                  index: int) -> tuple[str | None, bool]:
        """(the billed category, whether the service window is open); no category for a free-form message
        outside the window, which is refused (counted here) under every card."""
        window_end = user.service_window_end
        in_window = window_end is not None and at < window_end
        if kind != "message":
            return user.categories.get(sent_category) or _not_a_template(index, sent_category), in_window
        if not in_window:
            self.refused += 1
            return None, False
        return "service", True

    def _by_message(self, user: _User, at: datetime, kind: str, sent_category: str | None,
                    index: int) -> EventResult:
        """Per-message cards: steps 1-3 of the spec; free-form outside the window is refused first."""
        market = user.market
        category, in_window = self._category(user, at, kind, sent_category, index)
        if category is None:
            return market.refused
        entry_point_end = user.entry_point_end
        if (entry_point_end is not None and at < entry_point_end) or (
                user.answer_deadline is not None and user.opens_entry_point(at, self.card)):
            return market.free["free_entry_point"][category]
        if kind == "message":
            return self._service(market)
        if category == "utility":
            if in_window and self.utility_free:
                return market.free["free_customer_service"]["utility"]
            if user.open:
                # A utility conversation opened under a conversation-based card (before 2025-07-01) still
                # covers the utility templates sent inside its 24 hours (Meta's pricing page).
                end = user.open.get("utility")
                if end is not None and at < end:
                    return market.free["in_conversation"]["utility"]
        return self._charge(market, category)

    def _by_conversation(self, user: _User, at: datetime, kind: str, sent_category: str | None,
                         index: int) -> EventResult:
        """Conversation cards: an FEP conversation closes the others; otherwise one per category."""
        market, card = user.market, self.card
        category, in_window = self._category(user, at, kind, sent_category, index)
        if category is None:
            return market.refused
        if user.entry_point_end is not None and at < user.entry_point_end:
            return market.free["free_entry_point"][category]
        if user.answer_deadline is not None and user.opens_entry_point(at, card):
            user.open.clear()
            return market.free["free_entry_point"][category]
        if kind == "message":
            for open_category, end in user.open.items():
                if at < end:
                    return market.free["in_conversation"][open_category]
            user.open["service"] = at + card.conversation
            return self._service(market)
        if in_window and category == "utility" and self.utility_free:
            return market.free["free_customer_service"]["utility"]
        end = user.open.get(category)
        if end is not None and at < end:
            return market.free["in_conversation"][category]
        user.open[category] = at + card.conversation
        return self._charge(market, category)

    def _service(self, market: _Market) -> EventResult:
        """A free-form message (or service conversation) inside the window: free, allowance, or charged."""
        if not self.card.rules.service_charged:
            return market.free["free_customer_service"]["service"]
        month = self.month
        if month.allowance_used < self.card.allowance:
            month.allowance_used += 1
            return market.free["free_allowance"]["service"]
        return self._charge(market, "service")

    def _charge(self, market: _Market, category: str) -> EventResult:
        """Count a charged message (or conversation) on its market's tier cursor for this month."""
        if market.month is not self.month:
            market.month, market.cursors = self.month, {}
        cursor = market.cursors.get(category) or market.open_cursor(category)
        count = cursor.count
        position = count.n = count.n + 1
        if cursor.limit is not None and position > cursor.limit:
            cursor.move_to(position)
        cursor.charged += 1
        return cursor.result

    def _result(self, verdicts: list[EventResult]) -> ReplayResult:
        currency = self._currency()
        markets = _market_results(self.cursors, currency)
        return ReplayResult(
            cards=tuple(card.snapshot.info for card in self.cards.values()), currency=currency,
            total=sum((m.total for m in markets), ZERO), by_category=_sum_by(markets, "by_category", ZERO),
            charged=_sum_by(markets, "charged", 0), by_market=markets, events=tuple(verdicts),
            warnings=tuple(self._warnings(verdicts)),
        )

    def _currency(self) -> str:
        currencies = {card.snapshot.currency for card in self.cards.values()}
        if len(currencies) > 1:
            raise ValueError(f"cards of several currencies ({', '.join(sorted(currencies))}) cannot be added up")
        return currencies.pop() if currencies else ""

    def _warnings(self, verdicts: list[EventResult]) -> list[str]:
        unit = "conversation" if any(c.rules.per_conversation for c in self.cards.values()) else "message"
        no_rate: Counter[tuple[str, str]] = Counter()
        for cursor in self.cursors:
            if not cursor.has_rate and cursor.charged:
                no_rate[(cursor.market, cursor.category)] += cursor.charged
        found = [moved_warning(card, wanted, priced_as) for card, wanted, priced_as in sorted(self.moved)]
        found += [f"no {category} rate for {market}: {counted(count, f'{category} {unit}')} priced at 0"
                  for (market, category), count in sorted(no_rate.items())]
        if (any(c.market == NORTH_AMERICA and c.category == "marketing" and c.charged for c in self.cursors)
                and self._marketing_to_north_america_since_pause(verdicts)):
            found.append(f"{NORTH_AMERICA}: {US_MARKETING_WARNING}")
        authentication = {c.market for c in self.cursors if c.category == "authentication" and c.charged}
        found += [f"no authentication-international rate for {market}: its authentication is priced at the "
                  "authentication rate" for market in sorted(self.abroad_without_rate & authentication)]
        if self.refused:
            found.append(f"{counted(self.refused, 'free-form message')} outside the customer service window "
                         f"{'was' if self.refused == 1 else 'were'} refused (not charged)")
        return found

    def _marketing_to_north_america_since_pause(self, verdicts: list[EventResult]) -> bool:
        """Whether a marketing template to North America was charged on a day Meta's US pause applies to."""
        events = self.request.events
        return any(verdict is not None and verdict.charged and verdict.category == "marketing"
                   and verdict.market == NORTH_AMERICA and events[index].at.date() >= US_MARKETING_PAUSED_FROM
                   for index, verdict in enumerate(verdicts))


def _time_order(events: Sequence[Event]) -> list[int]:
    """Input positions in time order; events at the same time keep their input order."""
    times = [event.at for event in events]
    try:
        return sorted(range(len(events)), key=times.__getitem__)
    except TypeError:
        naive = next(i for i, at in enumerate(times) if not isinstance(at, datetime) or at.tzinfo is None)
        raise EventError(naive, "at", "needs a date, a time and a time zone (UTC)") from None


def _not_a_template(index: int, category: str | None) -> str:
    raise EventError(index, "category", f"a template is one of {', '.join(TEMPLATE_CATEGORIES)}, not {category!r}")


def _as_utc(index: int, at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise EventError(index, "at", "needs a time zone (UTC)")
    return at.astimezone(UTC)


def _resolve_user(phone: str, market_map: MarketMap, index: int) -> tuple[str, str | None]:
    """The user's market and country (their number's own country).

    Numbers in international digits (E.164, with or without '+') are placed from their digits without
    validating them again: the API validated them (calculator.api_input), and webhook numbers are ones
    Meta delivered to. Anything else is parsed and must be a valid number.
    """
    digits = phone[1:] if phone.startswith("+") else phone
    if digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15 and calling_code_of(digits):
        found = market_map.resolve_digits(digits)
        return found.market, found.country
    try:
        found = market_map.resolve_phone(phone)
    except InvalidPhoneNumber as exc:
        raise EventError(index, "user", str(exc)) from None
    return found.market, found.country


def _market_results(cursors: list[_Cursor], currency: str) -> tuple[ReplayMarketResult, ...]:
    costs: dict[str, dict[str, Decimal]] = {}
    counts: dict[str, dict[str, int]] = {}
    for cursor in cursors:
        if cursor.market not in costs:
            costs[cursor.market] = dict.fromkeys(CATEGORIES, ZERO)
            counts[cursor.market] = dict.fromkeys(CATEGORIES, 0)
        costs[cursor.market][cursor.category] += cursor.cost
        counts[cursor.market][cursor.category] += cursor.charged
    results = [ReplayMarketResult(market, currency, sum(costs[market].values(), ZERO), costs[market], counts[market])
               for market in costs]
    return tuple(sorted(results, key=lambda result: (-result.total, result.market)))


def _sum_by(markets: tuple[ReplayMarketResult, ...], attribute: str, zero: Decimal | int) -> dict:
    totals = dict.fromkeys(CATEGORIES, zero)
    for market in markets:
        for category, value in getattr(market, attribute).items():
            totals[category] += value
    return totals
