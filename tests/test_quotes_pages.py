"""Quote pages: saving from the calculator's inputs, the quote that never changes, share link, PDF, CSV, lists."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from pypdf import PdfReader

from ratecards.snapshots import Catalog
from calculator.engine.estimate import EstimateLine, EstimateRequest
from calculator.engine.money import round_money
from calculator.pricing import PricedDate, price_on_dates
from plans.models import ExchangeRate, PricePlan, load_credit_table
from quotes import testing
from quotes.exports import CSV_COLUMNS
from quotes.models import FrozenQuoteError, Quote, QuoteStatus
from ratecards.models import RateCard

pytestmark = pytest.mark.django_db
D = Decimal
CALCULATOR_QUERY = urlencode({"on": "2026-11-01", "currency": "USD", "lines-0-country": "IN", "lines-0-marketing": "1000",
                              "lines-0-utility": "5000", "lines-0-service": "3000"})
INDIA_2026 = {"marketing": D("0.0118"), "utility": D("0.0014"), "service": D("0.0014")}  # USD 2026-10-01


@pytest.fixture
def plan():
    return testing.money_plan()


def meta_total(on: date, *lines: EstimateLine) -> Decimal:
    results, problems = price_on_dates(Catalog(), EstimateRequest(lines=lines), "USD", [PricedDate("on", on)])
    assert not problems
    return round_money(results[0].total, "USD")


def save_from_calculator(client, **fields):
    data = {"customer": "Acme Ltd", "price_plan": "", "on": "2026-11-01", "valid_until": "2027-01-01",
            "query": CALCULATOR_QUERY, "notes": "", "quote_currency": ""} | fields
    return client.post("/quotes/new/", data)


# --- Creating a quote through the page ------------------------------------------------------------------

def test_the_new_quote_page_shows_the_calculators_messages_and_the_form(client, seller):
    response = client.get("/quotes/new/?" + CALCULATOR_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert "IN" in page and "5,000" in page
    assert 'name="customer"' in page and 'value="2026-11-01"' in page
    assert f'value="{CALCULATOR_QUERY}"'.replace("&", "&amp;") in page


def test_saving_from_the_calculator_stores_the_request_the_cards_and_the_figures(client, seller, plan):
    response = save_from_calculator(client, price_plan=plan.name, notes="Call back Monday")
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/quotes/{quote.reference}/"
    assert quote.owner == seller and quote.customer == "Acme Ltd" and quote.plan_name == "Acme standard"
    assert quote.priced_on == date(2026, 11, 1) and quote.valid_until == date(2027, 1, 1)
    assert quote.request["lines"] == [{"country": "IN", "marketing": "1000", "utility": "5000", "authentication": "0",
                                       "service": "3000"}]
    card = RateCard.objects.in_force("USD", date(2026, 11, 1))
    assert quote.card_ids[0] == card.pk
    # Meta: 1,000 x 0.0118 + 5,000 x 0.0014 + (3,000 - 1,000 free) x 0.0014 = 11.80 + 7.00 + 2.80
    assert quote.meta_total == D("21.60") == meta_total(date(2026, 11, 1), EstimateLine(
        country="IN", marketing=D(1000), utility=D(5000), service=D(3000)))
    # Plan: +10 % marketing, +20 % utility, 0.001 a charged message (8,000), 0.01 a window (3,000),
    # 99 a month, 5 % off.
    usage = D("11.80") * D("1.1") + D("7.00") * D("1.2") + D("2.80") + D(8000) * D("0.001") + D(3000) * D("0.01")
    assert quote.total == round_money((usage + 99) * D("0.95"), "USD") == D("153.12")
    assert quote.result["totals"]["provider"] == "153.12"
    assert quote.calculator_query == CALCULATOR_QUERY


def test_saving_from_the_calculator_keeps_the_comparisons_the_page_showed(client, seller):
    page = client.get("/?" + CALCULATOR_QUERY).content.decode()
    save_from_calculator(client)
    quote = Quote.objects.get()
    # On 2026-11-01 the page compares the card in force with the latest conversation-based card and the
    # latest card of the other rule set (per message, service and utility in the window free): 2026-07-01.
    shown = [entry["card"] for entry in quote.result["comparison"]]
    assert shown == ["USD 2026-10-01", "USD 2024-11-01", "USD 2026-07-01"]
    assert all(name in page for name in shown)
    assert quote.request["compare_on"] == ["2024-11-01", "2026-07-01"]


def test_a_quote_needs_a_customer(client, seller):
    response = save_from_calculator(client, customer="  ")
    assert response.status_code == 400
    assert "Choose a customer or type the name of a new one" in response.content.decode()
    assert not Quote.objects.exists()


def test_nothing_to_quote_sends_the_user_back_to_the_calculator(client, seller):
    response = client.get("/quotes/new/")
    assert "There is nothing to quote yet" in response.content.decode()
    assert 'name="customer"' not in response.content.decode()


def test_a_plan_without_terms_on_the_date_is_refused_with_a_message(client, seller):
    PricePlan.objects.create(name="Empty", unit="money", currency="USD")
    response = save_from_calculator(client, price_plan="Empty")
    assert response.status_code == 400
    assert "Empty has no terms in force on 2026-11-01" in response.content.decode()
    assert not Quote.objects.exists()


def test_a_quote_in_a_currency_without_a_card_needs_an_entered_rate_and_links_to_it(client, seller):
    # GBP has no Meta card: its quote converts USD prices at a rate an admin entered, and the form says where.
    testing.money_plan("Sterling plan", currency="GBP")
    response = save_from_calculator(client, quote_currency="GBP")
    assert response.status_code == 400
    page = response.content.decode()
    assert "no USD to GBP exchange rate in force on 2026-11-01" in page
    assert "/admin/plans/exchangerate/add/?base=USD&amp;quote=GBP&amp;effective_from=2026-11-01" in page
    ExchangeRate.objects.create(base="USD", quote="GBP", rate=D("0.8"), effective_from=date(2026, 10, 1), source="BoE")
    save_from_calculator(client, quote_currency="GBP")
    quote = Quote.objects.get()
    assert quote.currency == "GBP"
    assert quote.meta_total == round_money(D("21.60") * D("0.8"), "GBP") == D("17.28")
    assert "USD amounts converted to GBP at 1 USD = 0.8 GBP" in quote.result["method"][0]
    assert "BoE" in client.get(f"/quotes/{quote.reference}/").content.decode()


def test_a_quote_in_eur_is_priced_on_metas_own_eur_card_without_an_exchange_rate(client, seller):
    # The calculator priced in USD; the salesperson chooses EUR: Meta bills an EUR account on its EUR card
    # (eur-rates-2026-07-01.csv, in force on 2026-11-01): India marketing 0.0099, utility 0.0012 EUR (5,000
    # utility stay in the first tier); service is free under that card's rules (service_charged false):
    # 1000 x 0.0099 + 5000 x 0.0012 = 9.90 + 6.00 = 15.90.
    response = save_from_calculator(client, quote_currency="EUR")
    assert response.status_code == 302, response.content.decode()[:2000]
    quote = Quote.objects.get()
    assert quote.currency == "EUR" and quote.result["card_currency"] == "EUR"
    assert quote.result["estimate"]["estimates"][0]["rate_card"]["name"].startswith("EUR")
    assert quote.meta_total == D(1000) * D("0.0099") + D(5000) * D("0.0012") == D("15.90")
    assert quote.result["conversion"] is None and not ExchangeRate.objects.exists()
    assert quote.request["currency"] == "EUR"


def test_a_plan_in_a_currency_without_a_card_makes_the_quote_in_that_currency(seller):
    ExchangeRate.objects.create(base="GBP", quote="USD", rate=D("1.25"), effective_from=date(2026, 1, 1))
    plan = testing.money_plan("Sterling plan", currency="GBP", monthly_fee=D(100), discount_percent=D(0))
    quote = testing.quote(seller, plan=plan)
    assert quote.currency == "GBP"
    assert quote.meta_total == D("17.28")  # 21.60 USD x 0.8
    assert "the inverse of 1 GBP = 1.25 USD" in quote.result["method"][0]


def test_a_credit_plan_quote_shows_credits_per_category(client, seller):
    load_credit_table()
    quote = testing.quote(seller, plan=PricePlan.objects.get(name="example-credits"))
    # India, 2023-06-01 table: marketing 2.5, utility 1, service 1 credit a conversation; one message each,
    # and the 3,000 service messages are 3,000 conversations the customer starts.
    assert quote.credits_total == D(1000) * D("2.5") + D(5000) * 1 + D(3000) * 1 == D(10500)
    assert quote.total == quote.meta_total
    page = client.get(f"/quotes/{quote.reference}/").content.decode()
    assert "Credits (example-credits, per conversation)" in page and "10,500.00" in page


def test_receptive_windows_and_utility_in_the_window_are_derived_and_explained(seller):
    plan = testing.money_plan("Receptive", fee_per_receptive_window=D("0.05"), charge_utility_in_window=True,
                              markup_utility=D(0), fee_per_message=D(0), monthly_fee=D(0), discount_percent=D(0),
                              markup_marketing=D(0))
    stored = testing.india_mix(on=date(2025, 11, 1), utility_in_service_window="0.4", service_messages_per_conversation="3")
    quote = testing.quote(seller, plan=plan, stored=stored)
    india = quote.result["markets"][0]
    assert india["receptive_windows"] == 1000  # 3,000 service messages / 3 replies
    assert india["utility_in_window"] == 2000  # 5,000 utility x 0.4: free from Meta on the 2025-10-01 card
    assert india["receptive_windows_fee"] == "50.00"
    assert D(india["utility_in_window_charge"]) > 0
    method = " ".join(quote.result["method"])
    # A per-message card: the customer starts chats (service windows), not conversations (issue 15).
    assert "service messages ÷ replies per chat ≈ 1,000 a month" in method
    assert "Meta does not charge them on this card; this plan does" in method


# --- A quote never changes ------------------------------------------------------------------------------

def document(response) -> str:
    """The quote itself, without the page's per-request parts (the CSRF token)."""
    page = response.content.decode()
    return page[page.index('<article class="quote-doc">'):page.index("</article>")]


def publish_correction(on: date, market: str, category: str, rate: Decimal) -> RateCard:
    card = RateCard.objects.in_force("USD", on)
    draft = card.new_draft()
    row = draft.rates.get(market__name=market, category=category)
    row.rate = rate
    row.save()
    draft.publish()
    return draft


def test_a_saved_quote_keeps_its_figures_after_a_correction_while_a_fresh_estimate_changes(client, seller, plan):
    quote = testing.quote(seller, plan=plan)
    line = EstimateLine(country="IN", marketing=D(1000), utility=D(5000), service=D(3000))
    before_page = document(client.get(f"/q/{quote.share_token}/"))
    assert meta_total(date(2026, 11, 1), line) == D("21.60")

    corrected = publish_correction(date(2026, 11, 1), "India", "marketing", D("0.0200"))

    assert meta_total(date(2026, 11, 1), line) == D("29.80")  # 8.20 more for 1,000 marketing
    quote.refresh_from_db()
    assert quote.meta_total == D("21.60") and quote.result["totals"]["meta"] == "21.60"
    assert corrected.pk not in quote.card_ids
    assert document(client.get(f"/q/{quote.share_token}/")) == before_page


def test_reprice_shows_todays_difference_without_changing_the_quote(client, seller, plan):
    quote = testing.quote(seller, plan=plan, stored=testing.india_mix(on=timezone.localdate()))
    publish_correction(timezone.localdate(), "India", "marketing", D("0.0200"))
    response = client.get(f"/quotes/{quote.reference}/reprice/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Repriced on today" in page
    assert '<td class="num" data-testid="reprice-meta">29.80 USD</td>' in page
    assert "+8.20" in page
    quote.refresh_from_db()
    assert quote.meta_total == D("21.60")


def test_reprice_with_htmx_answers_only_the_panel(client, seller):
    quote = testing.quote(seller)
    response = client.get(f"/quotes/{quote.reference}/reprice/", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section class="panel no-print" id="reprice"')
    assert "<html" not in page


def test_the_figures_of_a_saved_quote_cannot_be_changed(seller):
    quote = testing.quote(seller)
    quote.total = D("1.00")
    with pytest.raises(FrozenQuoteError, match="total cannot change"):
        quote.save()
    quote.refresh_from_db()
    quote.customer = "Someone else"
    with pytest.raises(FrozenQuoteError):
        quote.save()


def test_the_status_may_change(client, seller):
    quote = testing.quote(seller)
    response = client.post(f"/quotes/{quote.reference}/status/", {"status": "sent"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.status_changed_at is not None
    client.post(f"/quotes/{quote.reference}/status/", {"status": "lost"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


def test_duplicating_prices_the_same_messages_again_as_a_new_quote(client, seller, plan):
    original = testing.quote(seller, plan=plan, notes="internal")
    page = client.get(f"/quotes/new/?from={original.reference}").content.decode()
    assert 'value="Acme Ltd"' in page and f'value="{original.reference}"' in page
    response = client.post("/quotes/new/", {"customer": "Acme Group", "price_plan": plan.name, "source": original.reference,
                                            "on": "2026-11-01", "valid_until": "2027-02-01", "quote_currency": ""})
    copy = Quote.objects.exclude(pk=original.pk).get()
    assert response["Location"] == f"/quotes/{copy.reference}/"
    assert copy.duplicated_from == original and copy.customer == "Acme Group"
    assert copy.request == original.request and copy.total == original.total
    assert copy.share_token != original.share_token


# --- Share link -----------------------------------------------------------------------------------------

def test_the_share_link_shows_the_quote_without_an_account_and_nothing_internal(client, seller, plan):
    quote = testing.quote(seller, plan=plan, notes="Margin is thin: do not go lower")
    assert len(quote.share_token) >= 43  # 32 random bytes
    client.logout()
    response = client.get(f"/q/{quote.share_token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Acme Ltd" in page and "153.12" in page and "21.60" in page
    assert "Margin is thin" not in page
    assert "Markups" not in page and "markup_marketing" not in page  # the plan's internal terms
    assert response["X-Robots-Tag"] == "noindex, nofollow" and "no-store" in response["Cache-Control"]
    assert "USD 2026-10-01" in page and "Billed per delivered message." in page  # cards and rules used


def test_notes_marked_for_the_customer_are_shared(client, seller):
    quote = testing.quote(seller, notes="Prices valid for the pilot", notes_for_customer=True)
    assert "Prices valid for the pilot" in client.get(f"/q/{quote.share_token}/").content.decode()


def test_a_revoked_link_is_the_same_404_as_an_unknown_one(client, seller):
    quote = testing.quote(seller)
    client.post(f"/quotes/{quote.reference}/share/revoke/")
    client.logout()
    revoked = client.get(f"/q/{quote.share_token}/")
    unknown = client.get("/q/" + "x" * 43 + "/")
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content
    assert b"Acme" not in revoked.content
    for suffix in ("pdf", "csv"):
        assert client.get(f"/q/{quote.share_token}/{suffix}").status_code == 404


def test_a_new_link_replaces_the_old_one(client, seller):
    quote = testing.quote(seller)
    old = quote.share_token
    client.post(f"/quotes/{quote.reference}/share/renew/")
    quote.refresh_from_db()
    assert quote.share_token != old and quote.share_active
    assert client.get(f"/q/{old}/").status_code == 404
    assert client.get(f"/q/{quote.share_token}/").status_code == 200


# --- PDF and CSV ----------------------------------------------------------------------------------------

def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_is_a_real_pdf_with_the_customer_the_total_and_no_internal_notes(client, seller, plan):
    # Compared as the calculator compares it: with the July 2026 card (the old conversation-based card is not
    # on a per-message quote's customer copy).
    stored = replace(testing.india_mix(), compare_on=[date(2024, 11, 1), date(2026, 7, 1)])
    quote = testing.quote(seller, plan=plan, notes="internal: margin", stored=stored)
    response = client.get(f"/q/{quote.share_token}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "Quote for Acme Ltd" in text
    assert "153.12 USD" in text and "21.60" in text
    assert quote.reference in text
    assert "internal: margin" not in text
    assert "Old pricing against new" in text and "USD 2026-07-01" in text  # the comparison, drawn as SVG
    assert "USD 2024-11-01" not in text and "onversation" not in text
    assert client.get(f"/quotes/{quote.reference}/pdf").content.startswith(b"%PDF-")


def csv_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_has_one_row_per_market_and_category_then_the_totals(client, seller, plan):
    quote = testing.quote(seller, plan=plan)
    response = client.get(f"/q/{quote.share_token}/csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0].split(",") == CSV_COLUMNS
    rows = csv_of(response)
    marketing = next(r for r in rows if r["market"] == "India" and r["category"] == "marketing")
    assert marketing["charged"] == "1000"
    assert marketing["meta_cost"] == "11.80" and marketing["provider_price"] == "13.98"  # 11.80 + 10 % + 1,000 x 0.001
    assert marketing["rate_card"] == "USD 2026-10-01" and marketing["currency"] == "USD"
    windows = next(r for r in rows if r["category"] == "receptive_windows")
    assert windows["charged"] == "3000" and windows["provider_price"] == "30.00"
    total = next(r for r in rows if r["category"] == "total")
    assert (total["market"], total["category"], total["meta_cost"], total["provider_price"]) == (
        "All markets", "total", "21.60", "153.12")
    # Then the net, tax and gross lines (no tax setting: no tax); quotes/tax.py, tests/test_quotes_taxes.py.
    # The comparison with other cards follows them (tests/test_quote_comparison.py).
    rows = [r for r in rows if not r["category"].startswith("comparison_")]
    assert [r["category"] for r in rows if r["market"] == "All markets"] == [
        "platform_fee", "discount", "total", "meta_charges", "own_charges", "net", "tax", "gross"]
    assert rows[-1]["provider_price"] == "153.12" and rows[-2]["note"] == "No tax applied"


def test_the_csv_of_a_credit_quote_has_the_credits(client, seller):
    load_credit_table()
    quote = testing.quote(seller, plan=PricePlan.objects.get(name="example-credits"))
    rows = csv_of(client.get(f"/quotes/{quote.reference}/csv"))
    assert next(r for r in rows if r["category"] == "marketing")["credits"] == "2500.00"
    assert next(r for r in rows if r["category"] == "total")["credits"] == "10500.00"


def test_a_customer_name_cannot_become_a_spreadsheet_formula(client, seller):
    quote = testing.quote(seller, customer="=HYPERLINK(\"http://evil\")")
    rows = csv_of(client.get(f"/quotes/{quote.reference}/csv"))
    assert rows[0]["customer"].startswith("'=")


# --- My quotes -------------------------------------------------------------------------------------------

def test_my_quotes_searches_by_customer_filters_by_status_and_sorts(client, seller, plan):
    today = timezone.localdate()
    small = testing.quote(seller, customer="Acme Ltd")
    large = testing.quote(seller, customer="Beta Corp", plan=plan)
    lapsed = testing.quote(seller, customer="Gamma", valid_until=today)
    Quote.objects.filter(pk=lapsed.pk).update(valid_until=today - timedelta(days=1))
    large.set_status(QuoteStatus.ACCEPTED)

    def listed(**query) -> list[str]:
        page = client.get("/quotes/", query).content.decode()
        return [q.customer for q in (small, large, lapsed) if f">{q.reference}<" in page]

    assert listed(q="acme") == ["Acme Ltd"]
    assert listed(status="accepted") == ["Beta Corp"]
    assert listed(status="expired") == ["Gamma"]
    assert listed(status="draft") == ["Acme Ltd"]
    page = client.get("/quotes/", {"sort": "-total"}).content.decode()
    assert page.index(large.reference) < page.index(small.reference)
    page = client.get("/quotes/", {"sort": "customer"}).content.decode()
    assert page.index(small.reference) < page.index(large.reference) < page.index(lapsed.reference)
    assert "Expired" in page


def test_the_list_with_htmx_answers_only_the_results(client, seller):
    testing.quote(seller)
    page = client.get("/quotes/", {"q": "acme"}, headers={"HX-Request": "true"}).content.decode()
    assert page.lstrip().startswith('<section id="results"') and "Acme Ltd" in page
