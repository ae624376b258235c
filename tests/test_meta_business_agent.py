"""Point 6 of issue 10: Meta Business Agent tokens, USD 2.00 per million from 2026-08-01 (docs/pricing-rules.md),
a dated rate per currency kept in the admin; before that date free with a note; without a rate in the
currency a warning and no figure.

Rates by hand: India marketing 0.0118 USD (usd-rates-2026-10-01.csv), Germany marketing 0.1131 EUR
(eur-rates-2026-07-01.csv).
"""

import json
from datetime import date
from decimal import Decimal

import pytest

from calculator.engine.agent import AgentRate, agent_charge
from ratecards.models import AgentTokenRate

pytestmark = pytest.mark.django_db


def post(client, **body):
    return client.post("/api/v1/estimate", data=json.dumps(body), content_type="application/json")


def first_estimate(client, **body) -> dict:
    response = post(client, **body)
    assert response.status_code == 200, response.content
    return response.json()["estimates"][0]


def test_tokens_on_2026_11_01_in_usd_cost_two_dollars_a_million_on_top_of_the_messages(client):
    first = first_estimate(client, on="2026-11-01", meta_business_agent_tokens=25_000_000,
                           lines=[{"country": "IN", "marketing": 1000}])
    # 25,000,000 tokens = 25 million x 2.00 = 50.00; India marketing 1000 x 0.0118 = 11.80; total 61.80
    assert first["by_category"]["meta_business_agent"] == "50.00"
    assert first["by_category"]["marketing"] == "11.80"
    assert first["total"] == "61.80"
    assert first["list_total"] == "61.80" and first["tier_savings"] == "0.00"
    assert first["meta_business_agent"] == {
        "tokens": 25_000_000, "status": "priced", "rate_per_million_tokens": "2.0000",
        "rate_effective_from": "2026-08-01", "amount": "50.00", "note": None,
    }


def test_tokens_are_never_free_in_a_window_so_entry_point_shares_do_not_touch_them(client):
    first = first_estimate(client, on="2026-11-01", meta_business_agent_tokens=1_500_000,
                           assumptions={"free_entry_point": 1, "utility_in_service_window": 1},
                           lines=[{"country": "IN", "utility": 1000}])
    # every message free after an ad; the agent's 1.5 million tokens x 2.00 = 3.00 still charged
    assert first["by_category"]["meta_business_agent"] == "3.00"
    assert first["total"] == "3.00"


def test_before_2026_08_01_tokens_cost_nothing_and_the_estimate_says_so(client):
    first = first_estimate(client, on="2026-07-15", meta_business_agent_tokens=25_000_000,
                           lines=[{"country": "IN"}])
    assert first["by_category"]["meta_business_agent"] == "0.00"
    assert first["total"] == "0.00"
    assert first["meta_business_agent"]["status"] == "not_billed_yet"
    assert any("cost nothing on 2026-07-15" in n and "from 2026-08-01" in n for n in first["notes"])
    assert not any("Meta Business Agent" in w for w in first["warnings"])


def test_a_currency_without_a_rate_gets_a_warning_and_no_invented_figure(client):
    first = first_estimate(client, on="2026-11-01", currency="EUR", meta_business_agent_tokens=25_000_000,
                           lines=[{"country": "DE", "marketing": 1000}])
    # Germany marketing 1000 x 0.1131 = 113.10 EUR; the tokens have no EUR rate: not in the total
    assert first["by_category"]["meta_business_agent"] is None
    assert first["meta_business_agent"]["status"] == "no_rate"
    assert first["meta_business_agent"]["amount"] is None
    assert first["total"] == "113.10"
    assert any("Meta Business Agent: no EUR rate" in w and "not in the total" in w for w in first["warnings"])


def test_a_rate_an_admin_enters_is_used_from_its_date(client):
    first_estimate(client, on="2026-11-01", lines=[{"country": "IN"}])  # the catalogue is cached now
    AgentTokenRate.objects.create(currency="EUR", effective_from=date(2026, 9, 1), per_million_tokens=Decimal("1.85"))
    AgentTokenRate.objects.create(currency="USD", effective_from=date(2026, 12, 1), per_million_tokens=Decimal("2.50"))
    eur = first_estimate(client, on="2026-11-01", currency="EUR", meta_business_agent_tokens=2_000_000,
                         lines=[{"country": "DE"}])
    assert eur["by_category"]["meta_business_agent"] == "3.70"  # 2 million x 1.85
    november = first_estimate(client, on="2026-11-30", meta_business_agent_tokens=25_000_000, lines=[{"country": "IN"}])
    december = first_estimate(client, on="2026-12-01", meta_business_agent_tokens=25_000_000, lines=[{"country": "IN"}])
    assert november["by_category"]["meta_business_agent"] == "50.00"  # 25 x 2.00, the old rate
    assert december["by_category"]["meta_business_agent"] == "62.50"  # 25 x 2.50


def test_without_the_field_the_answer_keeps_its_old_shape(client):
    first = first_estimate(client, on="2026-11-01", lines=[{"country": "IN", "marketing": 1000}])
    assert "meta_business_agent" not in first["by_category"]
    assert "meta_business_agent" not in first
    assert first["total"] == "11.80"


@pytest.mark.parametrize("value, message", [
    (-1, "must be zero or more tokens"),
    (1.5, "must be a whole number of tokens"),
    (10**14, "must be at most 10,000,000,000,000"),
    ("many", "must be a number"),
    (True, "must be a number"),
])
def test_bad_token_counts_are_named(client, value, message):
    response = post(client, on="2026-11-01", meta_business_agent_tokens=value, lines=[{"country": "IN"}])
    assert response.status_code == 400
    assert {"field": "meta_business_agent_tokens", "message": message} in response.json()["errors"]


def test_the_served_openapi_document_describes_the_field(client):
    document = client.get("/api/v1/openapi.json").json()
    text = json.dumps(document)
    assert '"meta_business_agent_tokens"' in text
    assert '"meta_business_agent"' in text and '"stale_rules"' in text


def test_the_engine_prices_tokens_from_plain_rates_only():
    rates = (AgentRate("USD", date(2026, 8, 1), Decimal("2.00")),)
    assert agent_charge(Decimal(25_000_000), "USD", date(2026, 11, 1), rates).amount == Decimal("50")
    assert agent_charge(Decimal(25_000_000), "USD", date(2026, 7, 31), rates).amount == 0
    missing = agent_charge(Decimal(25_000_000), "INR", date(2026, 11, 1), rates)
    assert missing.amount is None and "no INR rate" in missing.warning
    # no rate entered at all: no figure either
    assert agent_charge(Decimal(1), "USD", date(2026, 11, 1), ()).amount is None
