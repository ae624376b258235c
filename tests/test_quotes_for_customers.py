"""The salesperson's job from issue 15: a quote priced before saving, found by the customer's name,
readable by the customer (nothing internal), and the sign-in that keeps the mix being priced."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from urllib.parse import quote as urlquote, urlencode

import pytest

from quotes import testing
from quotes.exports import csv_rows
from quotes.models import Quote

pytestmark = pytest.mark.django_db
D = Decimal
CALCULATOR_QUERY = urlencode({"on": "2026-11-01", "currency": "USD", "lines-0-country": "IN", "lines-0-marketing": "1000",
                              "lines-0-utility": "5000", "lines-0-service": "3000"})


def form_data(**fields) -> dict:
    return {"customer": "Acme GmbH", "price_plan": "", "on": "2026-11-01", "valid_until": "2027-01-01",
            "query": CALCULATOR_QUERY, "notes": "", "quote_currency": ""} | fields


# --- The price before saving ------------------------------------------------------------------------------

def test_preview_without_javascript_shows_the_price_and_saves_nothing(client, seller):
    response = client.post("/quotes/new/", form_data(quote_currency="EUR", preview="1"))
    assert response.status_code == 200
    page = response.content.decode()
    # EUR card 2026-07-01, India: 1,000 marketing x 0.0099 + 5,000 utility x 0.0012 = 9.90 + 6.00 = 15.90 EUR
    # (service free under that card's rules).
    assert re.search(r'data-testid="preview-meta">15\.90 EUR<', page)
    assert "<html" in page and 'name="customer"' in page
    assert not Quote.objects.exists()


def test_preview_by_htmx_answers_the_fragment_even_before_the_customer_is_typed(client, seller):
    response = client.post("/quotes/new/", form_data(customer="", quote_currency="EUR"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="preview"') and "<html" not in fragment
    assert 'data-testid="preview-meta">15.90 EUR<' in fragment
    assert "This field is required" not in fragment and "Choose a customer" not in fragment  # asked for when saving
    assert not Quote.objects.exists()


def test_preview_by_htmx_names_what_is_wrong_with_status_200(client, seller):
    testing.money_plan("Sterling plan", currency="GBP")
    response = client.post("/quotes/new/", form_data(price_plan="Sterling plan"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "no USD to GBP exchange rate in force on 2026-11-01" in fragment
    assert "/admin/plans/exchangerate/add/?base=USD&amp;quote=GBP&amp;effective_from=2026-11-01" in fragment


# --- Signing in keeps the mix --------------------------------------------------------------------------

def test_save_as_quote_signed_out_comes_back_to_the_same_mix_after_signing_in(client):
    testing.user("sam", testing.SALES)
    response = client.get("/quotes/new/?" + CALCULATOR_QUERY)
    assert response.status_code == 302
    login = response["Location"]
    assert login.startswith("/accounts/login/?next=")
    page = client.get(login).content.decode()
    next_value = re.search(r'name="next" value="([^"]*)"', page).group(1).replace("&amp;", "&")
    assert next_value == "/quotes/new/?" + CALCULATOR_QUERY
    signed_in = client.post("/accounts/login/", {"username": "sam", "password": "a-long-test-password",
                                                 "next": next_value})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/quotes/new/?" + CALCULATOR_QUERY
    assert "lines-0-marketing=1000" in signed_in["Location"]


def test_the_sign_in_link_of_the_calculator_carries_the_mix_being_priced(client):
    testing.user("sam", testing.SALES)
    page = client.get("/?" + CALCULATOR_QUERY).content.decode()
    link = re.search(r'<a href="(/accounts/login/[^"]*)" data-sign-in>Sign in</a>', page).group(1).replace("&amp;", "&")
    assert link == "/accounts/login/?next=" + urlquote("/?" + CALCULATOR_QUERY, safe="")
    response = client.get(link)
    next_value = re.search(r'name="next" value="([^"]*)"', response.content.decode()).group(1).replace("&amp;", "&")
    signed_in = client.post("/accounts/login/", {"username": "sam", "password": "a-long-test-password",
                                                 "next": next_value})
    assert signed_in["Location"] == "/?" + CALCULATOR_QUERY


def test_the_sign_in_page_is_dressed_like_the_site(client):
    page = client.get("/accounts/login/").content.decode()
    assert "css/site.css" in page and 'class="site-header"' in page
    assert 'class="panel sign-in"' in page  # the site's panel, not a bare form


# --- The list: found by name, totals as money, a link to copy --------------------------------------------

def test_the_list_finds_a_quote_by_customer_name_and_the_name_is_the_link(client, seller):
    acme = testing.quote(seller, customer="Acme GmbH")
    testing.quote(seller, customer="Globex Ltd")
    page = client.get("/quotes/?q=acme").content.decode()
    assert f'<a href="/quotes/{acme.reference}/" data-testid="quote-customer">Acme GmbH</a>' in page
    assert "Globex" not in page


def test_the_list_shows_totals_with_separators_and_currency(client, seller):
    plan = testing.money_plan(monthly_fee=D(12000), discount_percent=D(0))
    quote = testing.quote(seller, customer="Acme GmbH", plan=plan)
    # India mix on USD 2026-10-01 (21.60 Meta) with the plan's markups and fees (see test_quotes_pages:
    # 12.98 + 8.40 + 2.80 + 8.00 + 30.00 = 62.18 before the fee) + 12,000 a month = 12,062.18 USD, grouped.
    usage = D("11.80") * D("1.1") + D("7.00") * D("1.2") + D("2.80") + D(8000) * D("0.001") + D(3000) * D("0.01")
    assert quote.total == usage + 12000 == D("12062.18")
    page = client.get("/quotes/").content.decode()
    assert 'data-testid="quote-total">12,062.18 USD</td>' in page


def test_the_reprice_table_shows_money_with_separators_and_currency(client, seller):
    plan = testing.money_plan(monthly_fee=D(12000), discount_percent=D(0))
    quote = testing.quote(seller, customer="Acme GmbH", plan=plan)
    page = client.get(f"/quotes/{quote.reference}/reprice/").content.decode()
    assert "12,062.18 USD" in page  # the saved price, as in the list


def test_the_share_link_has_a_copy_button_that_needs_javascript_and_the_link_shows_without_it(client, seller):
    quote = testing.quote(seller, customer="Acme GmbH")
    page = client.get(f"/quotes/{quote.reference}/").content.decode()
    assert re.search(r'<a class="share-link" id="share-link" href="http://testserver/q/[^"]+/"', page)
    assert '<button type="button" class="button secondary small" data-copy="share-link" data-label="Copy link" hidden>' in page
    assert "<script>" not in page and "js/site.js" in page


# --- Customer-ready: the share page, the PDF and the CSV speak of the customer's messages only ----------

def customer_copy(client, quote: Quote) -> str:
    """The quote document of the share page, as text (the site's header and footer left out)."""
    page = client.get(f"/q/{quote.share_token}/").content.decode()
    article = page[page.index('<article class="quote-doc">'):page.index("</article>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", article)))


def pdf_text(client, quote: Quote) -> str:
    import io

    from pypdf import PdfReader

    pdf = client.get(f"/q/{quote.share_token}/pdf").content
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def eur_quote(seller, plan=None) -> Quote:
    from calculator.engine.estimate import EstimateLine, EstimateRequest
    from quotes.requests import StoredRequest

    request = EstimateRequest(lines=(EstimateLine(country="DE", marketing=D(2000), utility=D(10000), service=D(500)),))
    return testing.quote(seller, customer="Acme GmbH", plan=plan,
                         stored=StoredRequest(request, date(2026, 11, 1), None, "EUR"))


def test_the_customer_reads_which_rules_apply_without_advice_meant_for_the_salesperson(client, seller):
    quote = eur_quote(seller)
    assert "price it in USD" in quote.result["stale_rules"]["text"]  # the team's page keeps the advice
    text = customer_copy(client, quote)
    assert "This quote uses EUR 2026-07-01, Meta's latest EUR card, with its rules. Meta changed its rules on " \
           "2026-10-01" in text
    assert "price it in" not in text and "latest EUR card, so this estimate" not in text
    assert "price it in" not in pdf_text(client, quote)
    csv_text = "\n".join(",".join(row) for row in csv_rows(quote))
    assert "stale_rules" in csv_text and "price it in" not in csv_text


def test_a_per_message_quote_speaks_of_conversations_only_where_the_plans_credit_table_is_per_conversation(client, seller):
    # Issue 16: a per-message quote never speaks of conversations unless the plan's credit table is per
    # conversation, and then says so and how it converted (tests/test_credits_per_message.py has the
    # per-message table, which never does). Meta's old conversation card and its rules stay out.
    from plans.models import PricePlan, load_credit_table

    load_credit_table()
    plan = PricePlan.objects.get(name="example-credits")
    stored = testing.india_mix()
    from calculator.regimes import comparison_dates
    from ratecards.snapshots import Catalog
    from dataclasses import replace

    # As the calculator saves it: compared with the old conversation-based card and the July 2026 card.
    stored = replace(stored, compare_on=comparison_dates(Catalog(), "USD", stored.on))
    quote = testing.quote(seller, customer="Acme GmbH", plan=plan, stored=stored)
    assert any(c["pricing_model"] == "conversation" for c in quote.result["comparison"])
    text = customer_copy(client, quote)
    said = re.findall(r"[^.]*onversation[^.]*", text)
    conversion = ("per conversation", "conversations the customer starts", "converted to conversations",
                  "templates per conversation", "replies per service conversation", "onversations by category")
    assert said and all(any(words in sentence for words in conversion) for sentence in said), said
    assert "example-credits's credit table is per conversation while Meta's card is per message" in text
    assert "USD 2024-11-01" not in text and "Billed per 24-hour conversation" not in text
    assert "is per conversation while Meta" in pdf_text(client, quote).replace("\n", " ")
    assert "example-credits is a credit plan: you pay the provider in credits" in text
    owner = client.get(f"/quotes/{quote.reference}/").content.decode()
    assert "Conversations by category" in owner and "USD 2024-11-01" in owner  # the team still sees all


def test_a_money_plan_quote_describes_the_plan_plainly_and_speaks_of_chats_not_conversations(client, seller):
    quote = testing.quote(seller, customer="Acme GmbH", plan=testing.money_plan())
    text = customer_copy(client, quote)
    assert "Acme standard is the provider's plan: your price is Meta's charges for your messages plus the " \
           "provider's own fees" in text
    assert "0.01 USD per chat the customer starts" in text and "Chats the customer starts" in text
    assert "onversation" not in text


def test_calls_rates_data_quality_notes_stay_with_the_team(client, seller):
    from calculator.calls_pricing import CallsAsk
    from dataclasses import replace

    stored = replace(testing.india_mix(), calls=(CallsAsk(country="IN", business_initiated_minutes=D(1000),
                                                          average_call_seconds=D(60)),))
    quote = testing.quote(seller, customer="Acme GmbH", stored=stored)
    text = customer_copy(client, quote)
    assert "WhatsApp calls" in text and "5.30" in text  # India 1,000 minutes x 0.0053 USD
    for internal in ("not found", "reliab", "reconstructed"):
        assert internal not in text.lower() and internal not in pdf_text(client, quote).lower()
        assert internal not in "\n".join(",".join(r) for r in csv_rows(quote)).lower()
    owner = client.get(f"/quotes/{quote.reference}/").content.decode()
    assert "Rate reliability (internal)" in owner and "calling rate files were not found" in owner


def test_signed_out_the_calculator_offers_to_sign_in_and_save_this_mix_as_a_quote(client):
    testing.user("sam", testing.SALES)
    page = client.get("/?" + CALCULATOR_QUERY).content.decode()
    link = html.unescape(re.search(r'<a class="button secondary small" href="([^"]+)" data-testid="sign-in-to-quote">'
                                   r"Sign in to save as a quote</a>", page).group(1))
    response = client.get(link)
    next_value = html.unescape(re.search(r'name="next" value="([^"]*)"', response.content.decode()).group(1))
    assert next_value.startswith("/quotes/new/?") and "lines-0-marketing=1000" in next_value
    signed_in = client.post("/accounts/login/", {"username": "sam", "password": "a-long-test-password",
                                                 "next": next_value})
    assert signed_in["Location"] == next_value
    new_quote = client.get(next_value).content.decode()
    assert 'name="customer"' in new_quote and ">5,000<" in new_quote  # the mix: 5,000 utility to India
