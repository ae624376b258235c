"""Publishing a card while estimates run: each answer uses the old card or the new one, never a mix."""

import json
import threading
import urllib.request
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from ratecards.snapshots import Catalog
from calculator.engine.estimate import EstimateLine, EstimateRequest
from calculator.pricing import PricedDate, price_on_dates
from ratecards.models import RateCard

ON = date(2026, 11, 1)
MIX = EstimateRequest(lines=(EstimateLine(country="IN", marketing=Decimal(1000), utility=Decimal(1000)),
                             EstimateLine(country="BR", marketing=Decimal(1000))))


def publish_correction(india_marketing: str) -> RateCard:
    """A correction of today's USD card with another India marketing rate, published."""
    draft = RateCard.objects.in_force("USD", ON).new_draft()
    rate = draft.rates.get(market__name="India", category="marketing")
    rate.rate = Decimal(india_marketing)
    rate.save()
    draft.publish()
    return draft


def price(catalog: Catalog):
    results, problems = price_on_dates(catalog, MIX, "USD", [PricedDate("on", ON)])
    assert problems == []
    return results[0]


@pytest.mark.django_db
def test_a_request_that_began_before_a_publish_prices_wholly_with_the_old_card():
    before = Catalog()
    old = price(before)
    new_card = publish_correction("0.0200")
    during = price(before)  # the same request, after the publish committed
    assert (during.card.id, during.total) == (old.card.id, old.total)
    after = price(Catalog())
    assert after.card.id == new_card.pk
    assert after.total == old.total + Decimal(1000) * (Decimal("0.0200") - Decimal("0.0118"))


@pytest.mark.django_db(transaction=True)
def test_estimates_sent_while_cards_are_published_each_match_one_card(live_server):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is shared by one connection: no real concurrency to test")
    body = json.dumps({"on": ON.isoformat(), "compare_on": [],
                       "lines": [{"country": "IN", "marketing": 1000, "utility": 1000},
                                 {"country": "BR", "marketing": 1000}]}).encode()
    answers: list[tuple[int, str]] = []
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            request = urllib.request.Request(live_server.url + "/api/v1/estimate", data=body,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    estimate = json.load(response)["estimates"][0]
                answers.append((estimate["rate_card"]["id"], estimate["total"]))
            except Exception as exc:  # any failure is a finding
                failures.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(3)]
    for thread in threads:
        thread.start()
    published = [publish_correction(rate) for rate in ("0.0150", "0.0200", "0.0250", "0.0300")]
    stop.set()
    for thread in threads:
        thread.join()

    assert failures == []
    expected = {card_id: str(price_for_card(card_id)) for card_id in {card_id for card_id, _ in answers}}
    assert all(total == expected[card_id] for card_id, total in answers), "an answer mixed two cards"
    assert {c.pk for c in published} & {card_id for card_id, _ in answers}, "no answer saw a new card"


def price_for_card(card_id: int) -> Decimal:
    from calculator.engine.estimate import estimate
    from calculator.engine.money import round_money

    catalog = Catalog()
    result = estimate(catalog.snapshot(card_id), MIX, on=ON, market_map=catalog.market_map(ON))
    return round_money(result.total, "USD")
