"""From a validated request to engine results: choose the cards, check the lines, run the engine.

Shared by the JSON API and the calculator page. Problems come back as `PricingProblem` objects: the API
lists them as (field, message) pairs, the page puts each beside its input, a line's by its index.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timezone
from typing import Callable

from calculator import timezones
from ratecards.snapshots import Catalog, NoCard
from calculator.engine.cards import CardSnapshot
from calculator.engine.estimate import EstimateRequest, EstimateResult, LineError, estimate
from calculator.engine.staleness import stale_rules
from calculator.engine.replay import replay
from calculator.engine.timeline import Event, EventError, ReplayRequest, ReplayResult
from calculator.engine.markets import InvalidPhoneNumber, MarketMap, UnknownCountry



@dataclass(frozen=True)
class PricingProblem:
    """What cannot be priced, and where: ``field`` as the API names it ("compare_on[1]", "lines[2].phone");
    for a line also its index and the line's own field, so nobody has to parse ``field`` back."""

    field: str
    message: str
    line: int | None = None
    line_field: str | None = None

    @classmethod
    def in_line(cls, index: int, line_field: str, message: str) -> "PricingProblem":
        return cls(f"lines[{index}].{line_field}", message, index, line_field)

    def __iter__(self):
        """A problem unpacks as the API's (field, message) pair."""
        return iter((self.field, self.message))


Problems = list[PricingProblem]


@dataclass(frozen=True)
class PricedDate:
    field: str  # "on" or "compare_on[0]": where the date came from, for messages
    on: date


def default_comparison(catalog: Catalog, currency: str, on: date) -> list[date]:
    """The API's comparison when none is asked for (docs/api.md): the latest conversation-based card, so
    every estimate shows the old model against the new. The page compares more (``regimes``)."""
    old = catalog.latest_conversation_card(currency)
    if old is None or old.effective_from > on:
        return []
    return [old.effective_from]


def priced_dates(on: date, compare_on: list[date] | None, default: Callable[[], list[date]]) -> list[PricedDate]:
    """The date asked for, then the comparison dates asked for (named by position), else the default's."""
    dates = [PricedDate("on", on)]
    if compare_on is None:
        return dates + [PricedDate("compare_on", d) for d in default()]
    return dates + [PricedDate(f"compare_on[{i}]", d) for i, d in enumerate(compare_on)]


def check_lines(catalog: Catalog, request: EstimateRequest, on: date) -> Problems:
    """Every line that names no market we can price, named by its field (the engine stops at the first)."""
    market_map = catalog.market_map(on)
    known_markets = catalog.market_names()
    problems: Problems = []
    for index, line in enumerate(request.lines):
        if line.market is not None and line.market not in known_markets:
            problems.append(PricingProblem.in_line(index, "market", f"'{line.market}' is not a market; known: "
                                                              f"{', '.join(sorted(known_markets))}"))
        if line.phone is not None:
            try:
                market_map.resolve_phone(line.phone)
            except InvalidPhoneNumber as exc:
                problems.append(PricingProblem.in_line(index, "phone", str(exc)))
        if line.country is not None:
            try:
                market_map.resolve_country(line.country)
            except UnknownCountry as exc:
                problems.append(PricingProblem.in_line(index, "country", str(exc)))
    return problems


def market_map_for(catalog: Catalog, card: CardSnapshot, on: date) -> MarketMap:
    """The mapping in force on the date, as the card can price it.

    Meta publishes a new card when a market becomes standalone; where a currency's card is older than
    the market (an EUR card of 2026-07-01 and Bangladesh, standalone from 2026-10-01), that market's
    countries are priced where the card's own mapping placed them, country by country: every other
    country keeps its market of the date. The engine warns for the recipients this moves.
    """
    return catalog.market_map(on).priced_by(card.rates, card.market_map)


def with_stale_rules(catalog: Catalog, result: EstimateResult) -> EstimateResult:
    """The result with a word (and the structured facts) when Meta's rules have moved past its card."""
    stale = stale_rules(result.card, result.on, catalog.card_infos())
    if stale is None:
        return result
    return replace(result, stale_rules=stale, warnings=(stale.warning(),) + result.warnings)


def price_on_dates(
    catalog: Catalog, request: EstimateRequest, currency: str, dates: list[PricedDate]
) -> tuple[list[EstimateResult], Problems]:
    problems = check_lines(catalog, request, dates[0].on)
    cards = []
    for priced in dates:
        try:
            cards.append(catalog.card_in_force(currency, priced.on))
        except NoCard as exc:
            problems.append(PricingProblem(priced.field,
                                           f"no {currency} card is in force on {priced.on.isoformat()}: {exc}"))
    if problems:
        return [], problems
    results = []
    # Lines name markets as of the first date ("Bangladesh" on 2026-11-01); a comparison card of a date
    # before that market existed prices its countries as that card places them, with a warning.
    names_from = catalog.market_map(dates[0].on)
    for priced, card in zip(dates, cards):
        try:
            result = estimate(card, request, on=priced.on, market_map=market_map_for(catalog, card, priced.on),
                              agent_rates=catalog.agent_rates(), names_from=names_from)
        except LineError as exc:
            return [], [PricingProblem.in_line(exc.index, exc.field, exc.message)]
        results.append(with_stale_rules(catalog, result))
    return results, []


def replay_events(catalog: Catalog, parsed) -> tuple[list[ReplayResult], Problems]:
    """Price a timeline with the card of each `cards_on` date, or each event with the card of its time."""
    # A user's call (or a user accepting the business's call) opens the customer service window exactly as
    # a user's message does (Meta's Calling API pricing), so the engine sees it as one.
    events = tuple(Event(e.at, e.user, "user_message" if e.kind == "user_call" else e.kind, e.category, e.entry_point)
                   for e in parsed.events)
    tz = timezones.zone(parsed.timezone) or timezone.utc
    request = ReplayRequest(events, parsed.business_country, parsed.auth_international, parsed.business_phone_numbers,
                            timezone=tz)
    currency = parsed.currency
    try:
        if parsed.cards_on is None:
            problems = _events_without_card(catalog, currency, events, tz)
            if problems:
                return [], problems
            return [replay(request, lambda at: catalog.card_in_force(currency, at.date()), catalog.market_map_by_period())], []
        cards, problems = [], []
        for index, on in enumerate(parsed.cards_on):
            try:
                cards.append((on, catalog.card_in_force(currency, on)))
            except NoCard as exc:
                problems.append(PricingProblem(f"cards_on[{index}]",
                                               f"no {currency} card is in force on {on.isoformat()}: {exc}"))
        if problems:
            return [], problems
        return [replay(request, card, lambda day, card=card, on=on: market_map_for(catalog, card, on))
                for on, card in cards], []
    except EventError as exc:
        return [], [PricingProblem(f"events[{exc.index}].{exc.field}", exc.message)]


def _events_without_card(catalog: Catalog, currency: str, events, tz=timezone.utc, most: int = 20) -> Problems:
    first = catalog.earliest(currency)
    problems = []
    for index, event in enumerate(events):
        day = event.at.astimezone(tz).date()  # the account's day decides the card, as in the replay
        if first is None or day < first.effective_from:
            problems.append(PricingProblem(f"events[{index}].at",
                                           f"no {currency} card is in force on {day.isoformat()}"))
            if len(problems) >= most:
                break
    return problems
