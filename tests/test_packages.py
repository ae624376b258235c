"""Package plans (issue 16): units per template and window, overage, Meta's charges on top or included,
the effective price per message; pure pricing first, then a quote end to end (page, PDF, CSV, API).

Every expected figure is worked out by hand in the comments, from the terms and Meta's rate files
(ratecards/data/ratecards/meta-usd-rates-2026-07-01.csv: India marketing 0.0118, utility 0.0014,
authentication 0.0014; India's tier 1 runs to 25,000,000 utility and 750,000 authentication messages,
so every message below is at the list rate).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from accounts.models import APIKey
from calculator.engine import Assumptions, EstimateLine, EstimateRequest, Rules, estimate
from plans.defaults import EXAMPLE_PACKAGE, load_example_package
from plans.models import PackageTerms, PlanTerms, PricePlan
from plans.pricing import META_INCLUDED, META_ON_TOP, MarketUsage, PackageSnapshot, derive_usage, price_package
from quotes import testing
from quotes.build import price_quote
from ratecards.snapshots import Catalog
from quotes.models import Quote
from quotes.requests import StoredRequest
from tests.engine_fixtures import make_card

D = Decimal
ZERO = D(0)


def terms(**changes) -> PackageSnapshot:
    values = {"monthly_fee": D("250"), "included_units": D(10000),
              "units_per_template": {"marketing": D(1), "utility": D(1), "authentication": D(2)},
              "units_per_receptive_window": D("0.5"), "utility_in_window_consumes_units": True,
              "overage_per_unit": D("0.05"), "meta_charges": META_ON_TOP}
    return PackageSnapshot(**(values | changes))


def usage(**changes) -> MarketUsage:
    values = {"market": "India", "meta_cost": {"marketing": D("90.00"), "utility": D("10.00")},
              "messages": {}, "conversations": {}, "receptive_windows": D(2000), "utility_in_window": ZERO,
              "utility_rate": D("0.0014"),
              "sent": {"marketing": D(6000), "utility": D(3000), "authentication": D(1000),
                       "authentication_international": D(500), "service": D(4000)},
              "utility_sent_in_window": D(1000)}
    return MarketUsage(**(values | changes))


# --- Pure pricing ---------------------------------------------------------------------------------------

def test_units_overage_and_the_effective_price_with_metas_charges_on_top():
    priced = price_package(terms(), (usage(),), "USD")
    market = priced.markets[0]
    # marketing 6,000 x 1; utility 3,000 x 1; authentication 1,000 x 2; international 500 x 2 (authentication's)
    assert dict(market.templates) == {"marketing": D(6000), "utility": D(3000), "authentication": D(2000),
                                      "authentication_international": D(1000)}
    assert market.receptive_windows == D(1000)  # 2,000 windows x 0.5
    assert market.utility_in_window == D(1000)  # 1,000 utility inside windows x 1 (the plan counts them)
    assert priced.used_units == D(14000)  # 6,000 + 3,000 + 2,000 + 1,000 + 1,000 + 1,000
    assert priced.overage_units == D(4000) and priced.unused_units == ZERO  # 14,000 - 10,000
    assert priced.overage == D("200.00")  # 4,000 x 0.05
    assert priced.package_total == D("450.00")  # 250 + 200
    assert priced.meta_total == D("100.00")  # 90 + 10
    assert priced.total == D("550.00")  # 450 + Meta's 100 on top
    assert priced.messages == D(15500)  # 6,000 + 3,000 + 1,000 + 500 + 4,000 free-form + 1,000 in-window utility
    assert priced.effective_price_per_message.quantize(D("0.0001")) == D("0.0355")  # 550 / 15,500 = 0.035483...


def test_metas_charges_included_leave_only_the_package():
    priced = price_package(terms(meta_charges=META_INCLUDED), (usage(),), "USD")
    assert priced.total == D("450.00")  # 250 + 200; Meta's 100 is the provider's to pay
    assert priced.effective_price_per_message.quantize(D("0.0001")) == D("0.0290")  # 450 / 15,500 = 0.029032...


def test_utility_inside_a_window_is_free_unless_the_package_counts_it():
    priced = price_package(terms(utility_in_window_consumes_units=False), (usage(),), "USD")
    assert priced.markets[0].utility_in_window == ZERO
    assert priced.used_units == D(13000) and priced.overage == D("150.00")  # 14,000 - 1,000; 3,000 x 0.05


def test_unused_units_are_lost_and_cost_nothing_back():
    priced = price_package(terms(included_units=D(20000)), (usage(),), "USD")
    assert priced.overage_units == ZERO and priced.overage == ZERO
    assert priced.unused_units == D(6000)  # 20,000 - 14,000: not carried into the next month
    assert priced.total == D("350.00")  # the fee 250 + Meta's 100


def test_free_form_replies_consume_no_units_and_nothing_sent_has_no_effective_price():
    quiet = usage(sent={"service": D(4000)}, receptive_windows=ZERO, utility_sent_in_window=ZERO, meta_cost={})
    priced = price_package(terms(), (quiet,), "USD")
    assert priced.used_units == ZERO and priced.total == D("250")
    assert price_package(terms(), (), "USD").effective_price_per_message is None


def test_the_plans_money_is_converted_and_metas_at_its_own_rate():
    priced = price_package(terms(), (usage(),), "EUR", meta_rate=D("0.9"), fee_rate=D("0.8"))
    # fee 250 x 0.8 = 200; overage 4,000 x 0.05 x 0.8 = 160; Meta 100 x 0.9 = 90
    assert (priced.monthly_fee, priced.overage, priced.meta_total, priced.total) == (
        D("200.0"), D("160.000"), D("90.000"), D("450.000"))


def test_bad_package_terms_are_refused():
    with pytest.raises(ValueError, match="overage_per_unit"):
        terms(overage_per_unit=D("-1"))
    with pytest.raises(ValueError, match="meta_charges"):
        terms(meta_charges="sometimes")


def test_messages_sent_are_counted_whatever_meta_charges():
    rules = Rules(pricing_model="message", utility_free_in_service_window=True, service_charged=False,
                  free_service_allowance=0, free_service_scope=None, volume_tiers=False)
    card = make_card({"India": {"marketing": "0.0118", "utility": "0.0014", "authentication": "0.0014",
                                "authentication_international": "0.0304", "service": "0"}}, rules=rules)
    request = EstimateRequest(lines=(EstimateLine(market="India", marketing=D(1000), utility=D(4000),
                                                  service=D(300)),),
                              assumptions=Assumptions(utility_in_service_window=D("0.25"), free_entry_point=D("0.5"),
                                                      service_messages_per_conversation=D(3)))
    found = derive_usage(card, request, estimate(card, request, date(2026, 8, 1)))[0]
    # Every template sent counts, the free entry point's too: 1,000 marketing; utility 4,000 x 0.75 = 3,000
    # outside a window and 4,000 x 0.25 = 1,000 inside; 300 free-form replies; 300 / 3 = 100 windows.
    assert dict(found.sent) == {"marketing": D(1000), "utility": D(3000), "authentication": ZERO,
                                "authentication_international": ZERO, "service": D(300)}
    assert found.utility_sent_in_window == D(1000) and found.receptive_windows == D(100)


# --- The plan in the database ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_shipped_example_package_is_named_as_an_example_and_documented():
    plan = load_example_package()
    assert plan.name == "example-package" and plan.unit == "package" and plan.currency == "USD"
    assert "example" in plan.notes.lower() and "not any provider's real offer" in plan.notes
    shipped = plan.package_terms_on(date(2026, 8, 1))
    assert (shipped.monthly_fee, shipped.included_units, shipped.overage_per_unit, shipped.meta_charges) == (
        D("250.0000"), D("10000.00"), D("0.0500"), "on_top")
    for field in PackageTerms._meta.get_fields():
        if field.concrete and not field.auto_created and field.name != "plan":
            assert field.help_text, f"{field.name} has no help text for the admin"


@pytest.mark.django_db
def test_package_terms_refuse_negatives_overlaps_and_other_plans():
    plan = load_example_package()
    overlapping = PackageTerms(plan=plan, effective_from=date(2026, 1, 1), overage_per_unit=D("-0.01"))
    with pytest.raises(ValidationError) as refused:
        overlapping.full_clean()
    assert "overage_per_unit" in refused.value.message_dict
    with pytest.raises(ValidationError, match="overlap the package terms of 2025-07-01 to open"):
        PackageTerms(plan=plan, effective_from=date(2026, 1, 1)).full_clean()
    money = testing.money_plan()
    with pytest.raises(ValidationError, match="package terms apply to package plans only"):
        PackageTerms(plan=money, effective_from=date(2026, 1, 1)).full_clean()
    with pytest.raises(ValidationError, match="money terms apply to money plans only"):
        PlanTerms(plan=plan, effective_from=date(2020, 1, 1), effective_to=date(2020, 2, 1)).full_clean()
    with pytest.raises(ValidationError, match="needs the currency"):
        PricePlan(name="no currency", unit="package").full_clean()


# --- A quote end to end ---------------------------------------------------------------------------------

AUGUST = date(2026, 8, 1)  # USD 2026-07-01: utility free inside the service window, service free
MIX = EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(6000), utility=D(4000), authentication=D(2000),
                                          service=D(3000)),),
                      assumptions=Assumptions(utility_in_service_window=D("0.25"), service_messages_per_conversation=D(3)))
# Meta: marketing 6,000 x 0.0118 = 70.80; utility outside the window 4,000 x 0.75 = 3,000 x 0.0014 = 4.20;
# authentication 2,000 x 0.0014 = 2.80; inside the window and service free: 77.80 USD.
# Units (example-package, one a template, a window and an in-window utility): 6,000 + 3,000 + 2,000
# + 3,000 / 3 = 1,000 windows + 1,000 utility inside them = 13,000; 3,000 over 10,000: 3,000 x 0.05 = 150.00.
# Total: 250.00 + 150.00 + Meta's 77.80 on top = 477.80. Messages 6,000 + 4,000 + 2,000 + 3,000 = 15,000:
# 477.80 / 15,000 = 0.031853... -> 0.0319 a message.
EXPECTED_PACKAGE = {"included_units": 10000, "used_units": 13000, "overage_units": 3000, "unused_units": 0,
                    "overage": "150.00", "overage_per_unit": "0.05", "monthly_fee": "250.00",
                    "package_total": "400.00", "meta_charges": "on_top", "messages": 15000,
                    "effective_price_per_message": "0.0319"}


@pytest.fixture
def package_quote(seller) -> Quote:
    return testing.quote(seller, plan=load_example_package(), stored=StoredRequest(MIX, AUGUST, None, "USD"))


@pytest.mark.django_db
def test_a_package_quote_stores_units_overage_and_the_effective_price(package_quote):
    totals = package_quote.result["totals"]
    assert totals["meta"] == "77.80" and totals["provider"] == "477.80"
    assert totals["package"] == EXPECTED_PACKAGE
    assert package_quote.total == D("477.80") and package_quote.meta_total == D("77.80")
    india = package_quote.result["markets"][0]["package"]
    assert {row["kind"]: row["units"] for row in india["rows"]} == {
        "marketing": 6000, "utility": 3000, "authentication": 2000, "receptive_windows": 1000,
        "utility_in_window": 1000}


@pytest.mark.django_db
def test_the_package_quote_page_shows_units_overage_and_price_per_message(client, package_quote):
    page = client.get(f"/quotes/{package_quote.reference}/").content.decode()
    for text in ("Package (example-package)", 'data-testid="units-used">13,000', 'data-testid="units-over">3,000',
                 'data-testid="package-overage">150.00', "0.0319 USD", "477.80 USD",
                 "Meta&#x27;s charges are passed through on top of the package", "unused units do not roll over"):
        assert text in page, text
    shared = client.get(f"/q/{package_quote.share_token}/").content.decode()
    assert "13,000" in shared and "0.0319" in shared and "not any provider" not in shared


@pytest.mark.django_db
def test_the_package_pdf_and_csv_carry_the_same_figures(client, package_quote):
    pdf = client.get(f"/q/{package_quote.share_token}/pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Package (example-package)" in text and "13,000" in text and "150.00" in text and "0.0319" in text
    rows = list(csv.DictReader(io.StringIO(client.get(f"/q/{package_quote.share_token}/csv").content.decode())))
    by_category = {r["category"]: r for r in rows if r["market"] == "All markets"}
    assert by_category["package_units_used"]["charged"] == "13000"
    assert by_category["package_units_included"]["charged"] == "10000"
    assert (by_category["package_overage"]["charged"], by_category["package_overage"]["provider_price"]) == ("3000", "150.00")
    assert by_category["package_fee"]["provider_price"] == "250.00"
    assert by_category["effective_price_per_message"]["provider_price"] == "0.0319"
    assert by_category["total"]["provider_price"] == "477.80" and by_category["total"]["meta_cost"] == "77.80"
    windows = next(r for r in rows if r["category"] == "package_units_receptive_windows")
    assert (windows["market"], windows["charged"]) == ("India", "1000")


@pytest.mark.django_db
def test_the_api_answers_totals_package_in_the_documented_shape(client, seller):
    load_example_package()
    key = APIKey.create_for(seller, "CRM")[1]
    body = {"customer": "Acme Ltd", "price_plan": EXAMPLE_PACKAGE, "on": "2026-08-01", "currency": "USD",
            "assumptions": {"utility_in_service_window": 0.25, "service_messages_per_conversation": 3},
            "lines": [{"country": "IN", "marketing": 6000, "utility": 4000, "authentication": 2000, "service": 3000}]}
    response = client.post("/api/v1/quotes", data=json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["total"] == "477.80" and answer["totals"]["package"] == EXPECTED_PACKAGE


@pytest.mark.django_db
def test_a_package_without_terms_on_the_date_is_refused_with_a_message(seller):
    plan = load_example_package()
    figures, problems = price_quote(Catalog(), StoredRequest(MIX, date(2025, 6, 1), None, "USD"), plan)
    assert figures is None
    assert [(p.field, p.message) for p in problems] == [("price_plan", "example-package has no package terms in force on 2025-06-01: an admin "
                                       "must add them (Price plans) before this quote can be made")]


@pytest.mark.django_db
def test_the_admin_shows_every_package_setting_with_its_help(client):
    client.force_login(testing.user("root", superuser=True))
    plan = load_example_package()
    page = client.get(f"/admin/plans/priceplan/{plan.pk}/change/").content.decode()
    assert "package_terms-0-overage_per_unit" in page and "package_terms-0-meta_charges" in page
    for field in ("included_units", "units_per_receptive_window", "utility_in_window_consumes_units",
                  "meta_charges", "overage_per_unit"):
        help_text = str(PackageTerms._meta.get_field(field).help_text)
        assert help_text in page, field  # the admin shows help texts as written
    assert "unused units do not roll over" in page
