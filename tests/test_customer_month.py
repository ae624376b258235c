"""The customer page's month on the customer's terms for every kind of plan (money, package, credits), in the
customer's currency at the quotes' exchange rate, and in the card's currency, said plainly, without one.

The month is November 2026 of tests/data/webhooks/sample-webhooks.jsonl (the page's "last full month" on
2026-12-05), priced by the shipped USD 2026-10-01 card (ratecards/data/ratecards/usd-rates-2026-10-01.csv):
  paid:  A1 India marketing 0.0118, A4 India utility 0.0014, C1 India authentication-international 0.0304,
         C2 Rest of Latin America authentication 0.0113; Meta's charge 0.0549 USD
  free, delivered: A2 India service (in the chat), A3 India utility inside the chat customer U1 opened,
         D2 United Kingdom marketing (free entry point); D1 is a referral conversion (no plan category),
         B1 Brazil failed (not delivered)
  conversations customers started (a customer who wrote on a day): U1 India, U2 United Kingdom (both 1 Nov)
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from customers.models import Customer
from customers.pricebook import month_on_terms
from plans.models import CreditMoneyPrice, CreditRate, ExchangeRate, PackageTerms, PricePlan, load_credit_table
from quotes import testing
from usage.ingest import ingest
from usage.models import Workspace

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 12, 5)
SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"


@pytest.fixture
def workspace(db) -> Workspace:
    made = Workspace.objects.create(name="Acme Retail", slug="acme")
    with SAMPLE.open("rb") as sample:
        ingest(sample, made, SAMPLE.name)
    return made


@pytest.fixture
def euro_rates(db):
    """USD to EUR: 0.80 from January, 0.90 from 15 November (in force on 30 November), 0.95 from December."""
    ExchangeRate.objects.create(base="USD", quote="EUR", rate=D("0.80"), effective_from=date(2026, 1, 1))
    ExchangeRate.objects.create(base="USD", quote="EUR", rate=D("0.90"), effective_from=date(2026, 11, 15),
                                source="ECB")
    ExchangeRate.objects.create(base="USD", quote="EUR", rate=D("0.95"), effective_from=date(2026, 12, 1))


def money_customer(seller, workspace, currency: str) -> Customer:
    """quotes.testing.money_plan (utility +20 %, 5 % discount; no receptive-window fee here) with the customer's
    marketing +50 %, authentication +100 %, 0.01 USD a message Meta charges and 20 USD a month."""
    plan = testing.money_plan("Acme standard", fee_per_receptive_window=D(0))
    return testing.customer(seller, "Acme Ltd", plan, currency=currency, workspace=workspace,
                            markup_marketing=D(50), markup_authentication=D(100), fee_per_message=D("0.01"),
                            monthly_fee=D(20))


def package_plan(currency: str = "USD", meta_charges: str = "on_top") -> PricePlan:
    plan = PricePlan.objects.create(name="Acme bundle", unit="package", currency=currency)
    PackageTerms.objects.create(
        plan=plan, effective_from=date(2026, 1, 1), monthly_fee=D(30), included_units=D(5), units_marketing=D(2),
        units_utility=D(1), units_authentication=D(3), units_per_receptive_window=D("0.5"),
        utility_in_window_consumes_units=True, overage_per_unit=D("0.40"), meta_charges=meta_charges)
    return plan


# --- Money plans: the customer's currency, and no rate ---------------------------------------------------------

def test_a_money_plans_month_is_in_the_customers_currency_at_the_rate_in_force_on_its_last_day(
        seller, workspace, euro_rates):
    """In USD first: marketing 0.0118 + 50 % 0.0059 + 0.01 = 0.0277; utility 0.0014 + 20 % 0.00028 + 0.01 =
    0.01168; authentication-international 0.0304 + 100 % 0.0304 + 0.01 = 0.0708; authentication 0.0113 + 0.0113
    + 0.01 = 0.0326; usage 0.14278 + 20 platform fee = 20.14278; - 5 % (1.007139) = 19.135641 USD.
    The rate in force on 2026-11-30 is 0.90 (from 2026-11-15; 0.95 starts after the month). Meta's charges and
    the plan's USD fees both x 0.90:
      Meta 0.0549 x 0.9 = 0.04941 -> 0.05 EUR; total 19.135641 x 0.9 = 17.2220769 -> 17.22 EUR
      platform fee 20 x 0.9 = 18.00 EUR; discount 1.007139 x 0.9 = 0.9064251 -> -0.91 EUR
      India authentication-international: Meta 0.0304 x 0.9 = 0.02736 -> 0.03, price 0.0708 x 0.9 = 0.06372 -> 0.06
    """
    month = month_on_terms(money_customer(seller, workspace, "EUR"), TODAY)
    assert (month.month, month.currency, month.kind, month.paid_messages) == (date(2026, 11, 1), "EUR", "money", 4)
    assert (month.meta, month.price) == (D("0.05"), D("17.22"))
    assert month.extras == [("Monthly platform fee", D("18.00")), ("Discount 5%", D("-0.91"))]
    rows = {(r["market"], r["category"]): (r["meta"], r["price"]) for r in month.rows}
    assert rows[("India", "Authentication-international")] == (D("0.03"), D("0.06"))
    assert month.conversion == ("USD amounts converted to EUR at 1 USD = 0.9 EUR (in force from 2026-11-15, "
                                "source: ECB); the rate in force on 2026-11-30, the month's last day.")


def test_without_a_rate_the_month_stays_in_the_cards_currency_and_says_so(seller, workspace):
    """No USD-GBP rate is in force on 2026-11-30 (the GBP-USD one starts on 2026-12-01): the figures are the
    USD ones of tests/test_customers.py, 0.0549 -> 0.05 USD and 19.135641 -> 19.14 USD, and the note says why."""
    ExchangeRate.objects.create(base="GBP", quote="USD", rate=D("1.25"), effective_from=date(2026, 12, 1))
    month = month_on_terms(money_customer(seller, workspace, "GBP"), TODAY)
    assert (month.currency, month.meta, month.price, month.conversion) == ("USD", D("0.05"), D("19.14"), "")
    assert month.notes[0].startswith("Shown in USD, the card's currency, not in the customer's GBP: no USD to GBP "
                                     "exchange rate is in force on 2026-11-30")


def test_the_page_names_the_rate_or_its_absence(client, seller, workspace, euro_rates, monkeypatch):
    monkeypatch.setattr("customers.views.timezone.localdate", lambda: TODAY)
    euro = money_customer(seller, workspace, "EUR")
    page = client.get(f"/customers/{euro.public_id}/").content.decode()
    assert re.search(r'data-testid="month-price">17\.22 EUR<', page)  # worked above
    assert "1 USD = 0.9 EUR (in force from 2026-11-15" in page
    euro.currency = "GBP"
    euro.save()
    page = client.get(f"/customers/{euro.public_id}/").content.decode()
    assert re.search(r'data-testid="month-price">19\.14 USD<', page)
    assert "no USD to GBP exchange rate is in force on 2026-11-30" in page


# --- Package plans -----------------------------------------------------------------------------------------

def test_a_package_plans_month_shows_the_units_covered_the_overage_and_its_price(seller, workspace):
    """Acme bundle: 30 USD a month with 5 units; marketing 2 units, utility 1, authentication 3 (international
    too), 0.5 a conversation the customer starts, utility inside it counts; 0.40 USD a unit over; Meta on top.
      India: marketing A1 2 + utility A4 1 + authentication-international C1 3 + service A2 0
             + U1's conversation 0.5 + utility inside it A3 1 = 7.5 units; 5 messages sent
      Rest of Latin America: authentication C2 3 units; 1 message
      United Kingdom: marketing D2 2 (free entry point: a package counts every template) + U2's conversation
             0.5 = 2.5 units; 1 message
      used 13 of 5: 8 over x 0.40 = 3.20; package 30 + 3.20 = 33.20; + Meta 0.0549 = 33.2549 -> 33.25 USD
    """
    customer = testing.customer(seller, "Acme Ltd", package_plan(), workspace=workspace)
    month = month_on_terms(customer, TODAY)
    assert (month.kind, month.currency, month.meta, month.price) == ("package", "USD", D("0.05"), D("33.25"))
    package = month.package
    assert (package["used_units"], package["included_units"], package["overage_units"]) == (13, 5, 8)
    assert (package["overage_per_unit"], package["overage"], package["monthly_fee"]) == ("0.4", D("3.20"), D("30.00"))
    assert (package["meta_on_top"], package["meta"]) == (True, D("0.05"))
    assert {r["market"]: (r["units"], r["messages"]) for r in month.rows} == {
        "India": (D("7.5"), 5), "Rest of Latin America": (3, 1), "United Kingdom": (D("2.5"), 1)}


def test_a_package_in_usd_for_a_euro_customer_converts_its_fees_and_metas_charges(seller, workspace, euro_rates):
    """The same 13 units (above), at 0.90 EUR a USD (in force on 2026-11-30): fee 30 x 0.9 = 27.00 EUR;
    overage 8 x (0.40 x 0.9 = 0.36) = 2.88 EUR; Meta 0.0549 x 0.9 = 0.04941 on top;
    27 + 2.88 + 0.04941 = 29.92941 -> 29.93 EUR."""
    customer = testing.customer(seller, "Acme Ltd", package_plan(), currency="EUR", workspace=workspace)
    month = month_on_terms(customer, TODAY)
    assert (month.currency, month.price, month.package["overage"], month.package["monthly_fee"]) == (
        "EUR", D("29.93"), D("2.88"), D("27.00"))
    assert month.package["overage_per_unit"] == "0.36"


def test_the_page_shows_a_packages_units_and_price(client, seller, workspace, monkeypatch):
    monkeypatch.setattr("customers.views.timezone.localdate", lambda: TODAY)
    customer = testing.customer(seller, "Acme Ltd", package_plan(), workspace=workspace)
    page = client.get(f"/customers/{customer.public_id}/").content.decode()
    # Worked in test_a_package_plans_month_shows_the_units_covered_the_overage_and_its_price.
    assert re.search(r'data-testid="month-price">33\.25 USD<', page)
    assert re.search(r'data-testid="package-used">13 of 5<', page)
    assert re.search(r'data-testid="package-over">8 at 0\.4 USD<', page)
    assert re.search(r'data-testid="package-overage">3\.20 USD<', page)
    assert "points to the dashboard" not in page and "money plans only" not in page


# --- Credit plans ------------------------------------------------------------------------------------------

def credit_plan(rows: dict[tuple[str, str], str], unit: str = "message") -> PricePlan:
    plan = PricePlan.objects.create(name="Acme credits", unit="credits")
    for (region, category), credits in rows.items():
        CreditRate.objects.create(plan=plan, effective_from=date(2026, 1, 1), unit=unit, region=region,
                                  category=category, credits=D(credits))
    return plan


def test_a_per_message_credit_plan_counts_credits_and_their_money_in_the_customers_currency(
        seller, workspace, euro_rates):
    """Credits a message: India marketing 4, utility 1.5, authentication 2, service 0.5; Rest of Latin America
    authentication 6; United Kingdom marketing 10. A per-message table counts every message delivered:
      India: marketing A1 1 x 4 = 4; utility A4 + A3 (inside the chat) 2 x 1.5 = 3; authentication C1
             (international) 1 x 2 = 2; service A2 1 x 0.5 = 0.5 -> 9.5
      Rest of Latin America: C2 1 x 6 = 6; United Kingdom: D2 1 x 10 = 10; total 25.5 credits
    The plan's EUR price 0.02 a credit (its USD price 0.03 is not the customer's currency):
      25.5 x 0.02 = 0.51 EUR; India 9.5 x 0.02 = 0.19, Rest of Latin America 0.12, United Kingdom 0.20
    Meta's charge 0.0549 x 0.90 = 0.04941 -> 0.05 EUR."""
    plan = credit_plan({("India", "marketing"): "4", ("India", "utility"): "1.5", ("India", "authentication"): "2",
                        ("India", "service"): "0.5", ("Rest of Latin America", "authentication"): "6",
                        ("United Kingdom", "marketing"): "10"})
    CreditMoneyPrice.objects.create(plan=plan, currency="EUR", price_per_credit=D("0.02"),
                                    effective_from=date(2026, 1, 1))
    CreditMoneyPrice.objects.create(plan=plan, currency="USD", price_per_credit=D("0.03"),
                                    effective_from=date(2026, 1, 1))
    customer = testing.customer(seller, "Acme Ltd", plan, currency="EUR", workspace=workspace)
    month = month_on_terms(customer, TODAY)
    assert (month.kind, month.currency, month.meta, month.credits_total, month.price) == (
        "credit", "EUR", D("0.05"), D("25.50"), D("0.51"))
    assert {r["market"]: (r["count"], r["credits"], r["money"]) for r in month.rows} == {
        "India": (5, D("9.50"), D("0.19")), "Rest of Latin America": (1, D("6.00"), D("0.12")),
        "United Kingdom": (1, D("10.00"), D("0.20"))}
    assert month.credit_noun == "messages"
    assert "Money at 0.02 EUR per credit (the plan's price from 2026-01-01)." in month.notes


def test_the_shipped_per_conversation_credit_table_prices_credits_only_and_names_what_it_does_not_offer(
        seller, workspace):
    """example-credits (ratecards/data/credit-ratios-example.csv, from 2023-06-01, per conversation): India
    marketing 2.5, utility 1, service 1, authentication N/A; Rest of Latin America authentication 12; United
    Kingdom service 10.5. A message Meta charged is one conversation; a customer who wrote on a day opened one:
      India: marketing A1 1 x 2.5 = 2.5; utility A4 1 x 1 = 1; authentication C1 (international) N/A: not
             priced; service U1 1 x 1 = 1 -> 4.5
      Rest of Latin America: C2 1 x 12 = 12; United Kingdom: U2 1 x 10.5 = 10.5 (D2 was free: no conversation)
      total 27 credits; no money price per credit in USD: credits only."""
    load_credit_table()
    plan = PricePlan.objects.get(name="example-credits")
    customer = testing.customer(seller, "Acme Ltd", plan, workspace=workspace)
    month = month_on_terms(customer, TODAY)
    assert (month.kind, month.credits_total, month.price, month.credit_money) == ("credit", D("27.00"), None, None)
    assert {r["market"]: (r["credits"], r["not_priced"]) for r in month.rows} == {
        "India": (D("4.50"), "authentication"), "Rest of Latin America": (D("12.00"), ""),
        "United Kingdom": (D("10.50"), "")}
    assert month.credit_noun == "conversations"
    assert "India authentication is not offered (N/A): 1.00 conversations are not priced in credits." in month.notes
    assert "Credits only: example-credits has no money price per credit in USD on 2026-11-30." in month.notes


def test_the_page_shows_a_credit_plans_credits_and_money(client, seller, workspace, euro_rates, monkeypatch):
    monkeypatch.setattr("customers.views.timezone.localdate", lambda: TODAY)
    plan = credit_plan({("India", "marketing"): "4", ("Rest of Latin America", "authentication"): "6"})
    CreditMoneyPrice.objects.create(plan=plan, currency="EUR", price_per_credit=D("0.5"),
                                    effective_from=date(2026, 1, 1))
    customer = testing.customer(seller, "Acme Ltd", plan, currency="EUR", workspace=workspace)
    page = client.get(f"/customers/{customer.public_id}/").content.decode()
    # India marketing A1 1 x 4 = 4 credits; Rest of Latin America C2 1 x 6 = 6; 10 credits x 0.5 = 5.00 EUR.
    # India's utility, authentication and service have no rows: listed as not priced, never counted as zero.
    assert re.search(r'data-testid="month-credits">10\.00<', page)
    assert re.search(r'data-testid="month-price">5\.00 EUR<', page)
    assert "India utility has no row in the credit table" in page
