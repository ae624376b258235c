"""How fast the pricing engine is: run `.venv/bin/python bench/bench_engine.py` from the repository root.

Two figures, each against its target:
- a 200-line estimate (every market of the USD 2026-10-01 card, lines by country where possible, every
  category) priced under that card and two comparison cards: < 5 ms for the three;
- a replay of 1,000,000 events: >= 200,000 events/s on one core. The timeline is shaped like real
  traffic (users in short sessions: an inbound message, templates, free-form replies, some from ads),
  and also replayed with users scattered at random, the worst case for memory locality.

Cards come from the shipped CSVs through the tests' own reader. Figures are CPU time of this process
(what one core spends, unaffected by other processes waiting for the same cores), with wall time
alongside; a calibration line shows how fast this machine runs plain Python, to compare machines.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calculator.engine import (  # noqa: E402
    AssumptionOverrides, EstimateLine, EstimateRequest, Event, ReplayRequest, estimate, replay,
)
from calculator.engine.markets import OTHER  # noqa: E402
from tests.engine_fixtures import load_card, market_map_of_day  # noqa: E402

CARD = "usd-2026-10-01"
COMPARISONS = ("usd-2024-11-01-conversation", "usd-2025-07-01")
EVENTS = 1_000_000
USERS = 20_000
MONTH_START = datetime(2026, 10, 1, tzinfo=timezone.utc)
CALLING_PREFIXES = ("91", "55", "234", "1202", "1809", "44", "49", "52", "62", "254", "7701", "966", "880")


def timed(work):
    """Run ``work()``; its result, CPU seconds and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def calibration_ns() -> float:
    """CPU nanoseconds per iteration of a plain dict lookup loop on this machine."""
    table = {"key": 1}

    def loop():
        for _ in range(1_000_000):
            table.get("key")

    return min(timed(loop)[1] for _ in range(3)) * 1000


def estimate_lines(count: int = 200) -> tuple[EstimateLine, ...]:
    """A line per country of every market of the card (Other by name), topped up to ``count`` lines."""
    card = load_card(CARD)
    mapping = card.market_map
    countries = sorted(code for market in card.rates for code in mapping.countries_of(market))
    rng = random.Random(7)
    lines = [EstimateLine(market=OTHER, marketing=Decimal(5000), utility=Decimal(20000),
                          authentication=Decimal(8000), service=Decimal(3000))]
    for index in range(count - 1):
        lines.append(EstimateLine(
            country=countries[index % len(countries)],
            marketing=Decimal(rng.randrange(0, 200_000)), utility=Decimal(rng.randrange(0, 2_000_000)),
            authentication=Decimal(rng.randrange(0, 1_000_000)), service=Decimal(rng.randrange(0, 50_000)),
            assumptions=AssumptionOverrides(free_entry_point=Decimal("0.02") if index % 5 == 0 else None),
        ))
    return tuple(lines)


def bench_estimate(repeats: int = 60) -> None:
    cards = [load_card(CARD)] + [load_card(card_id) for card_id in COMPARISONS]
    maps = [card.market_map for card in cards]
    request = EstimateRequest(lines=estimate_lines(), business_country="GB", auth_international=True,
                              business_phone_numbers=2)
    runs = [timed(lambda: [estimate(card, request, market_map=mapping) for card, mapping in zip(cards, maps)])
            for _ in range(repeats)]
    results, cpu, wall = runs[-1][0], [run[1] for run in runs], [run[2] for run in runs]
    print(f"estimate: {len(request.lines)} lines, {len(results[0].by_market)} markets, 3 cards: CPU median "
          f"{statistics.median(cpu) * 1000:.2f} ms, best {min(cpu) * 1000:.2f} ms; first (cold caches) "
          f"{cpu[0] * 1000:.2f} ms; wall median {statistics.median(wall) * 1000:.2f} ms (target < 5 ms)")
    print("  totals: " + ", ".join(f"{r.card.name} {r.rounded_total}" for r in results))


def session_timeline(rng: random.Random, users: list[str]) -> list[Event]:
    """Users in sessions spread over a month: each session a few events within an hour."""
    events: list[Event] = []
    month_seconds = 30 * 24 * 3600
    while len(events) < EVENTS:
        user = rng.choice(users)
        at = MONTH_START + timedelta(seconds=rng.randrange(month_seconds))
        if rng.random() < 0.5:
            events.append(Event(at, user, "template", rng.choice(("marketing", "utility", "authentication"))))
        events.append(Event(at + timedelta(minutes=1), user, "user_message", entry_point=rng.random() < 0.05))
        for step in range(rng.randrange(1, 6)):
            later = at + timedelta(minutes=2 + step * 7)
            if rng.random() < 0.7:
                events.append(Event(later, user, "message"))
            else:
                events.append(Event(later, user, "template", "utility"))
    del events[EVENTS:]
    events.sort(key=lambda event: event.at)
    return events


def scattered_timeline(rng: random.Random, users: list[str]) -> list[Event]:
    """Every event to a random user at a random time: no locality at all."""
    month_seconds = 30 * 24 * 3600
    kinds = ("user_message", "message", "template", "template", "template")
    events = []
    for _ in range(EVENTS):
        kind = rng.choice(kinds)
        category = rng.choice(("marketing", "utility", "authentication")) if kind == "template" else None
        events.append(Event(MONTH_START + timedelta(seconds=rng.randrange(month_seconds)), rng.choice(users),
                            kind, category, entry_point=kind == "user_message" and rng.random() < 0.05))
    return events


def bench_replay() -> None:
    rng = random.Random(11)
    users = [f"+{rng.choice(CALLING_PREFIXES)}{rng.randrange(10 ** 8, 10 ** 9)}" for _ in range(USERS)]
    cards = {card_id: load_card(card_id) for card_id in (CARD, COMPARISONS[0])}
    by_date = {card.effective_from: card for card in (load_card(card_id) for card_id in (CARD, *COMPARISONS))}

    def card_in_force(at: datetime):
        return by_date[max(day for day in by_date if day <= at.date())]

    for shape, timeline in (("sessions", session_timeline(rng, users)), ("scattered", scattered_timeline(rng, users))):
        request = ReplayRequest(timeline, business_country="GB", auth_international=True)
        runs = [(card.name, card, None) for card in cards.values()]
        runs.append(("card in force per event", card_in_force, market_map_of_day))
        for label, card_for, map_for in runs:
            result, cpu, wall = timed(lambda: replay(request, card_for, map_for))
            print(f"replay ({shape}, {USERS:,} users) {label}: {len(timeline):,} events in {cpu:.2f} s CPU = "
                  f"{len(timeline) / cpu:,.0f} events/s (target >= 200,000), wall {wall:.2f} s; "
                  f"total {result.rounded_total}")


def main() -> None:
    print(f"calibration: {calibration_ns():.0f} ns per dict lookup loop iteration "
          f"(Python {sys.version.split()[0]})")
    bench_estimate()
    bench_replay()


if __name__ == "__main__":
    main()
