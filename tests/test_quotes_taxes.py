"""Taxes on quotes (issue 14): a dated tax setting per customer country, net, tax and gross on every copy
of a quote, one rounding rule (quotes/tax.py), and a saved quote that keeps the tax it was priced with.

The hand-worked figures: India, 1,000 marketing, 5,000 utility, 3,000 service on the shipped card
usd-rates-2026-10-01.csv (marketing 0.0118, utility 0.0014, service 0.0014, the first 1,000 service free),
with the money plan of quotes/testing.py (tests/test_quotes_pages.py works the same quote):
  Meta:  1,000 x 0.0118 + 5,000 x 0.0014 + 2,000 x 0.0014 = 11.80 + 7.00 + 2.80 = 21.60
  Plan:  11.80 x 1.1 + 7.00 x 1.2 + 2.80 + 8,000 x 0.001 + 3,000 x 0.01 = 12.98 + 8.40 + 2.80 + 8 + 30 = 62.18
         (62.18 + 99) x 0.95 = 153.121 -> net 153.12; our own charges 153.12 - 21.60 = 131.52
  VAT 19 % (Germany): 153.12 x 19 / 100 = 29.0928 -> 29.09; gross 153.12 + 29.09 = 182.21
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from pypdf import PdfReader

from accounts.models import APIKey
from calculator.engine.estimate import EstimateLine, EstimateRequest
from plans.defaults import load_example_package
from plans.models import PricePlan, load_credit_table
from quotes import testing
from quotes.models import FrozenQuoteError, Quote, TaxSetting
from quotes.presenting import reprice_context
from quotes.requests import StoredRequest
from quotes.tax import TaxRate, apply_tax, summary_lines, tax_on
from ratecards.snapshots import Catalog
from tests.test_packages import AUGUST, MIX as PACKAGE_MIX

D = Decimal
CALCULATOR_QUERY = urlencode({"on": "2026-11-01", "currency": "USD", "lines-0-country": "IN", "lines-0-marketing": "1000",
                              "lines-0-utility": "5000", "lines-0-service": "3000"})
API_BODY = {"customer": "Kunde GmbH", "price_plan": "Acme standard", "tax_country": "DE", "on": "2026-11-01",
            "currency": "USD", "lines": [{"country": "IN", "marketing": 1000, "utility": 5000, "service": 3000}]}


def vat(rate: str = "19", country: str = "DE", name: str = "VAT", start: date = date(2020, 1, 1),
        end: date | None = None) -> TaxSetting:
    setting = TaxSetting(country=country, name=name, rate=D(rate), effective_from=start, effective_to=end)
    setting.full_clean()
    setting.save()
    return setting


def one_marketing_message() -> StoredRequest:
    """1 marketing message to India on 2026-11-01: Meta 0.0118 USD, shown as 0.01."""
    request = EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(1)),))
    return StoredRequest(request, date(2026, 11, 1), None, "USD")


# --- The arithmetic (pure) -------------------------------------------------------------------------------

def half_up_cents(net_cents: int, rate_hundredths: int) -> int:
    """The tax in cents by integer arithmetic: net x rate / 100, half up (an oracle independent of Decimal)."""
    numerator = net_cents * rate_hundredths  # cents x (percent x 100) = cents x 10,000 x rate / 100
    return (numerator + 5_000) // 10_000


@pytest.mark.parametrize("rate_hundredths", [0, 1, 5, 50, 250, 500, 700, 750, 1_000, 1_250, 1_600, 1_900, 2_000,
                                             2_100, 2_500, 2_700, 3_333, 9_999, 10_000])
def test_tax_is_the_net_times_the_rate_rounded_half_up_for_every_cent_up_to_twenty(rate_hundredths):
    rate = D(rate_hundredths) / 100
    for net_cents in range(0, 2_001):
        net = D(net_cents) / 100
        taxed = apply_tax(net, TaxRate("DE", "VAT", rate, date(2020, 1, 1)), "USD")
        assert taxed.tax == D(half_up_cents(net_cents, rate_hundredths)) / 100, (net, rate)
        assert taxed.gross == taxed.net + taxed.tax and taxed.net == net


def test_a_tax_of_exactly_half_a_cent_rounds_up():
    assert tax_on(D("0.01"), D(50), "USD") == D("0.01")  # 0.005
    assert tax_on(D("0.50"), D(1), "USD") == D("0.01")  # 0.005
    assert tax_on(D("10.50"), D("0.10"), "USD") == D("0.01")  # 0.0105
    assert tax_on(D("2.50"), D("0.10"), "USD") == D("0.00")  # 0.0025: below half a cent
    assert tax_on(D("12.50"), D("0.20"), "USD") == D("0.03")  # 0.025 -> 0.03


def test_the_tax_is_on_the_rounded_net_so_gross_is_the_shown_net_plus_the_shown_tax():
    # Unrounded net 0.0118; shown net 0.01. 45 %: 0.01 x 0.45 = 0.0045 -> 0.00 (0.0118 x 0.45 = 0.0053 would
    # have been 0.01, and the gross 0.02 would not be 0.01 + the tax shown).
    taxed = apply_tax(D("0.0118"), TaxRate("DE", "VAT", D(45), date(2020, 1, 1)), "USD")
    assert (taxed.net, taxed.tax, taxed.gross) == (D("0.01"), D("0.00"), D("0.01"))


def test_without_a_setting_the_tax_is_zero_and_the_gross_the_net():
    taxed = apply_tax(D("153.121"), None, "USD")
    assert (taxed.net, taxed.tax, taxed.gross, taxed.applied) == (D("153.12"), D("0.00"), D("153.12"), False)


def test_the_rate_reads_without_trailing_zeros():
    assert TaxRate("DE", "VAT", D("19.00"), date(2020, 1, 1)).label == "VAT 19 %"
    assert TaxRate("NG", "VAT", D("7.50"), date(2020, 1, 1)).label == "VAT 7.5 %"
    assert TaxRate("CH", "MWST", D("8.10"), date(2020, 1, 1)).label == "MWST 8.1 %"


def test_the_summary_lines_of_a_quote_saved_before_taxes_say_no_tax():
    result = {"currency": "USD", "totals": {"meta": "21.60", "provider": "153.12"}}
    assert [(line.key, line.label, line.amount) for line in summary_lines(result)] == [
        ("meta_charges", "Meta's charges (pass-through)", "21.60"), ("own_charges", "Our charges", "131.52"),
        ("net", "Net", "153.12"), ("tax", "No tax applied", "0.00"), ("gross", "Total", "153.12")]


# --- Settings ----------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_no_tax_setting_ships():
    assert not TaxSetting.objects.exists()


@pytest.mark.django_db
def test_overlapping_settings_for_one_country_are_refused_with_both_periods_named():
    vat("19", start=date(2020, 1, 1), end=date(2026, 12, 31))
    with pytest.raises(ValidationError, match="DE already has VAT 19 % from 2020-01-01 to 2026-12-31, which overlaps"):
        vat("16", start=date(2026, 7, 1))
    vat("16", start=date(2027, 1, 1))  # the day after: accepted
    vat("10", country="AT", start=date(2026, 7, 1))  # another country: accepted
    assert TaxSetting.objects.in_force("DE", date(2026, 12, 31)).rate == D(19)
    assert TaxSetting.objects.in_force("DE", date(2027, 1, 1)).rate == D(16)
    assert TaxSetting.objects.in_force("DE", date(2019, 12, 31)) is None
    assert TaxSetting.objects.in_force("", date(2027, 1, 1)) is None


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("rate", D("100.01")), ("rate", D("-1")), ("country", "de"),
                                              ("country", "XX"), ("name", ""), ("rate", D("1234.5"))])
def test_a_setting_outside_its_bounds_is_refused(field, value):
    setting = TaxSetting(country="DE", name="VAT", rate=D(19), effective_from=date(2020, 1, 1))
    setattr(setting, field, value)
    with pytest.raises(ValidationError) as refused:
        setting.full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_the_database_refuses_a_rate_above_a_hundred():
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxSetting.objects.create(country="DE", name="VAT", rate=D("100.50"), effective_from=date(2020, 1, 1))


@pytest.mark.django_db
def test_the_admin_adds_a_setting_and_refuses_an_overlap_with_a_message(admin_client):
    form = {"country": "DE", "name": "VAT", "rate": "19.00", "effective_from": "2020-01-01", "effective_to": ""}
    assert admin_client.post("/admin/quotes/taxsetting/add/", form).status_code == 302
    response = admin_client.post("/admin/quotes/taxsetting/add/", form | {"rate": "16", "effective_from": "2024-01-01"})
    assert response.status_code == 200
    assert "DE already has VAT 19 % from 2020-01-01, with no end, which overlaps" in response.content.decode()
    assert TaxSetting.objects.count() == 1


# --- A quote with tax -------------------------------------------------------------------------------------

@pytest.fixture
def plan():
    return testing.money_plan()


def save_from_calculator(client, **fields):
    data = {"customer": "Kunde GmbH", "price_plan": "Acme standard", "on": "2026-11-01", "valid_until": "2027-01-01",
            "query": CALCULATOR_QUERY, "notes": "", "quote_currency": "", "tax_country": "DE"} | fields
    return client.post("/quotes/new/", data)


@pytest.mark.django_db
def test_a_german_customer_pays_vat_on_the_net_through_the_form(client, seller, plan):
    vat("19")
    response = save_from_calculator(client)
    quote = Quote.objects.get()
    assert response.status_code == 302
    totals = quote.result["totals"]
    assert (totals["meta"], totals["provider"], totals["tax"], totals["gross"]) == ("21.60", "153.12", "29.09", "182.21")
    assert (totals["tax_name"], totals["tax_rate"]) == ("VAT", "19")
    assert (quote.tax_country, quote.tax_name, quote.tax_rate, quote.tax_total) == ("DE", "VAT", D("19.00"), D("29.09"))
    assert quote.result["tax"] == {"country": "DE", "applied": True, "name": "VAT", "rate": "19",
                                   "effective_from": "2020-01-01", "label": "VAT 19 %"}
    page = client.get(f"/quotes/{quote.reference}/").content.decode()
    for text in ("Meta&#x27;s charges (pass-through)", "Our charges", "131.52", "VAT 19 %", "29.09",
                 "Total incl. VAT", "182.21"):
        assert text in page, text


@pytest.mark.django_db
def test_the_preview_shows_the_tax_before_saving(client, seller, plan):
    vat("19")
    response = save_from_calculator(client, preview="1", customer="")
    page = response.content.decode()
    assert 'data-testid="preview-tax">29.09 USD' in page and 'data-testid="preview-gross">182.21 USD' in page
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_the_new_quote_form_asks_for_the_customers_country_for_tax(client, seller):
    page = client.get("/quotes/new/?" + CALCULATOR_QUERY).content.decode()
    assert "Customer&#x27;s country, for tax" in page and '<option value="DE">Germany (DE)</option>' in page
    assert "none, or no setting for the country: no tax" in page


@pytest.mark.django_db
def test_an_unknown_tax_country_on_the_form_is_an_error_not_a_quote(client, seller, plan):
    response = save_from_calculator(client, tax_country="XX")
    assert response.status_code == 400
    assert "XX is not a country: choose one from the list, or none for no tax." in response.content.decode()
    htmx = client.post("/quotes/new/", {"customer": "Kunde GmbH", "price_plan": "", "on": "2026-11-01",
                                        "query": CALCULATOR_QUERY, "tax_country": "XX"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "<html" not in htmx.content.decode()
    assert "Customer&#x27;s country, for tax: XX is not a country" in htmx.content.decode()
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_a_german_customer_pays_vat_through_the_api(client, seller, plan):
    vat("19")
    key = APIKey.create_for(seller, "CRM")[1]
    response = client.post("/api/v1/quotes", json.dumps(API_BODY), content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tax_country"] == "DE"
    totals = body["totals"]
    assert (totals["meta"], totals["provider"], totals["tax"], totals["gross"]) == ("21.60", "153.12", "29.09", "182.21")
    assert (totals["tax_name"], totals["tax_rate"]) == ("VAT", "19")
    assert D(totals["gross"]) == D(totals["provider"]) + D(totals["tax"])


@pytest.mark.django_db
def test_a_country_without_a_setting_is_quoted_with_no_tax(client, seller, plan):
    vat("19")  # Germany's; the customer is in France, which has none here
    key = APIKey.create_for(seller, "CRM")[1]
    body = client.post("/api/v1/quotes", json.dumps(API_BODY | {"tax_country": "fr"}), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"}).json()
    assert body["tax_country"] == "FR"
    assert (body["totals"]["tax"], body["totals"]["gross"]) == ("0.00", "153.12")
    assert "tax_name" not in body["totals"] and "tax_rate" not in body["totals"]
    page = client.get(body["url"].removeprefix("http://testserver")).content.decode()
    assert "No tax applied" in page and "Total incl." not in page


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["XX", "Germany", 49, ["DE"], "D"])
def test_an_unknown_tax_country_in_the_api_is_a_400_naming_the_field(client, seller, plan, value):
    key = APIKey.create_for(seller, "CRM")[1]
    response = client.post("/api/v1/quotes", json.dumps(API_BODY | {"tax_country": value}),
                           content_type="application/json", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "is not a country: two letters (ISO 3166 alpha-2)" in errors["tax_country"]
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_half_a_cent_of_tax_rounds_up_in_a_saved_quote(seller):
    # 1 marketing message to India: 0.0118 -> net 0.01; 50 %: 0.005 -> 0.01; gross 0.02.
    vat("50", country="NL", name="BTW")
    quote = testing.quote(seller, stored=one_marketing_message(), tax_country="NL")
    totals = quote.result["totals"]
    assert (totals["provider"], totals["tax"], totals["gross"]) == ("0.01", "0.01", "0.02")


@pytest.mark.django_db
def test_a_saved_quote_keeps_the_tax_it_was_priced_with(client, seller, plan):
    setting = vat("19")
    quote = testing.quote(seller, customer="Kunde GmbH", plan=plan, tax_country="DE")
    setting.rate, setting.name = D(16), "MwSt"
    setting.save()
    quote.refresh_from_db()
    assert (quote.tax_name, quote.tax_rate, quote.tax_total) == ("VAT", D("19.00"), D("29.09"))
    assert quote.result["totals"]["gross"] == "182.21"
    share = client.get(f"/q/{quote.share_token}/").content.decode()
    assert "VAT 19 %" in share and "182.21" in share and "MwSt" not in share
    quote.tax_total = D("24.50")
    with pytest.raises(FrozenQuoteError, match="tax_total"):
        quote.save()


@pytest.mark.django_db
def test_repricing_uses_the_setting_in_force_then_and_shows_the_change(seller, plan):
    vat("19", end=date(2026, 12, 31))
    quote = testing.quote(seller, plan=plan, tax_country="DE")
    vat("16", start=date(2027, 1, 1))
    # 2027-02-01: same card (USD 2026-10-01) and plan terms, so the net stays 153.12;
    # 16 %: 153.12 x 0.16 = 24.4992 -> 24.50; gross 177.62. Change: -4.59 in both.
    reprice = reprice_context(quote, Catalog(), date(2027, 2, 1))["reprice"]
    assert reprice["provider"]["difference"] == "0.00"
    assert (reprice["tax"]["saved"], reprice["tax"]["today"], reprice["tax"]["difference"]) == ("29.09", "24.50", "-4.59")
    assert (reprice["gross"]["saved"], reprice["gross"]["today"], reprice["gross"]["difference"]) == (
        "182.21", "177.62", "-4.59")
    assert (reprice["tax_saved"], reprice["tax_today"]) == ("VAT 19 %", "VAT 16 %")
    quote.refresh_from_db()
    assert quote.tax_total == D("29.09")


@pytest.mark.django_db
def test_a_copy_of_a_quote_keeps_the_customers_country_for_tax(client, seller, plan):
    quote = testing.quote(seller, plan=plan, tax_country="DE")
    page = client.get(f"/quotes/new/?from={quote.reference}").content.decode()
    assert '<option value="DE" selected>Germany (DE)</option>' in page


@pytest.mark.django_db
def test_a_credit_quote_carries_no_tax_and_says_why(client, seller):
    load_credit_table()
    vat("19")
    quote = testing.quote(seller, plan=PricePlan.objects.get(name="example-credits"), tax_country="DE")
    assert (quote.result["totals"]["tax"], quote.tax_total, quote.tax_name) == ("0.00", D("0.00"), "")
    assert "credits are not money" in client.get(f"/q/{quote.share_token}/").content.decode()


@pytest.mark.django_db
def test_a_package_quote_is_taxed_on_its_whole_price(seller):
    # tests/test_packages.py works the package quote: Meta 77.80 passed through on top, package 250.00 fee
    # + 150.00 overage = 400.00 of our own; net 477.80. VAT 19 %: 477.80 x 0.19 = 90.782 -> 90.78; gross 568.58.
    vat("19")
    quote = testing.quote(seller, plan=load_example_package(), stored=StoredRequest(PACKAGE_MIX, AUGUST, None, "USD"),
                          tax_country="DE")
    lines = {line.key: line.amount for line in summary_lines(quote.result)}
    assert lines == {"meta_charges": "77.80", "own_charges": "400.00", "net": "477.80", "tax": "90.78",
                     "gross": "568.58"}


@pytest.mark.django_db
def test_the_reprice_panel_shows_the_tax_and_the_total_with_it(client, seller, plan):
    vat("19")
    quote = testing.quote(seller, plan=plan, tax_country="DE")
    page = client.get(f"/quotes/{quote.reference}/reprice/", headers={"HX-Request": "true"}).content.decode()
    assert "VAT 19 %" in page and 'data-testid="reprice-tax"' in page and "Total incl. tax" in page


# --- The customer's copies: CSV and PDF -------------------------------------------------------------------

@pytest.mark.django_db
def test_the_csv_has_meta_our_charges_net_tax_and_gross_rows(client, seller, plan):
    vat("19")
    quote = testing.quote(seller, plan=plan, tax_country="DE")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/q/{quote.share_token}/csv").content.decode())))
    rows = [r for r in rows if not r["category"].startswith("comparison_")]  # the comparison follows them
    tail = [(r["market"], r["category"], r["provider_price"], r["note"]) for r in rows[-5:]]
    assert tail == [("All markets", "meta_charges", "21.60", "Meta's charges (pass-through)"),
                    ("All markets", "own_charges", "131.52", "Our charges"),
                    ("All markets", "net", "153.12", "Net"),
                    ("All markets", "tax", "29.09", "VAT 19 %"),
                    ("All markets", "gross", "182.21", "Total incl. VAT")]


@pytest.mark.django_db
def test_the_pdf_has_the_tax_lines(client, seller, plan):
    vat("19")
    quote = testing.quote(seller, customer="Kunde GmbH", plan=plan, tax_country="DE")
    response = client.get(f"/q/{quote.share_token}/pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for line in ("Net, tax and total a month (USD)", "Meta's charges (pass-through) 21.60", "Our charges 131.52",
                 "Net 153.12", "VAT 19 % 29.09", "Total incl. VAT 182.21"):
        assert line in text, line


def test_the_oracle_agrees_with_decimal_half_up():
    # The integer oracle above, checked once against Decimal's own half-up on a few values.
    for cents, hundredths in [(1, 5_000), (50, 100), (15_312, 1_900), (1_250, 20)]:
        exact = (D(cents) / 100) * (D(hundredths) / 100) / 100
        assert D(half_up_cents(cents, hundredths)) / 100 == exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)
