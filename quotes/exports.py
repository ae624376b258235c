"""A quote as a PDF (WeasyPrint, from the share page's template with the print stylesheet) and as CSV.

Both show what the customer may see, from the quote's stored figures only. WeasyPrint fetches nothing:
the stylesheet is handed to it from the static files, the chart is inline SVG, and any other URL is
refused (no request to the network or the file system on behalf of a document).
"""

from __future__ import annotations

import io

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from pricing_site.downloads import csv_download
from pricing_site.spreadsheets import csv_writer
from quotes import customer
from quotes.credits import NO_MONEY_PRICE, credit_money_text
from quotes.models import Quote
from quotes.presenting import credit_noun, document_context
from quotes.tax import summary_lines

PRINT_STYLESHEET = "css/quotes.css"
CSV_COLUMNS = ["quote", "customer", "priced_on", "currency", "rate_card", "market", "category", "charged",
               "meta_cost", "provider_price", "credits", "note"]


def pdf_bytes(request: HttpRequest, quote: Quote) -> bytes:
    import weasyprint  # imported here: the pango libraries load only when a PDF is asked for

    context = {"quote": quote, "base_template": "quotes/print.html", "for_pdf": True,
               **document_context(quote, internal=False)}
    html = render_to_string("quotes/share.html", context, request=request)
    stylesheet = weasyprint.CSS(filename=finders.find(PRINT_STYLESHEET))
    document = weasyprint.HTML(string=html, base_url=request.build_absolute_uri("/"), url_fetcher=_refusing_fetcher())
    return document.write_pdf(stylesheets=[stylesheet])


def _refusing_fetcher():
    """A WeasyPrint URL fetcher that fetches nothing (the document needs nothing from outside)."""
    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"a quote's PDF fetches nothing: {url[:60]}")

    return RefusingFetcher()


def pdf_response(request: HttpRequest, quote: Quote) -> HttpResponse:
    response = HttpResponse(pdf_bytes(request, quote), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="quote-{quote.reference}.pdf"'
    return response


def csv_rows(quote: Quote, *, internal: bool = False) -> list[list[str]]:
    """One row per market and category, then the totals (market "All markets") and the comparison with
    other cards: the customer's copy (quotes/customer.py), like the share page. ``internal`` (the owner's
    CSV) adds the column ``customer_id``: the customer record's ``cus_`` id, empty for a quote by name."""
    result = quote.result
    card = result["estimate"]["estimates"][0]["rate_card"]["name"]
    head = [quote.reference, quote.customer, result["on"], result["currency"], card]
    credit_cells = {}
    for market in result["markets"]:
        for category, credits in (market.get("credits") or {}).get("by_category", {}).items():
            credit_cells[(market["market"], category)] = credits
    rows = [CSV_COLUMNS]
    for market in result["markets"]:
        for row in market["categories"]:
            credits = credit_cells.get((market["market"], row["category"]), "")
            rows.append(head + [market["market"], row["category"], str(row["charged"]), row["meta"], row["provider"], credits])
        if market.get("receptive_windows_fee") not in (None, "0.00"):
            rows.append(head + [market["market"], "receptive_windows", str(market["receptive_windows"]), "",
                                market["receptive_windows_fee"], ""])
        shown = {row["category"] for row in market["categories"]}
        for category, credits in (market.get("credits") or {}).get("by_category", {}).items():
            if category not in shown:  # credits where Meta charged nothing (service, before-2023 initiators)
                counted = market["credits"][credit_noun(market["credits"])][category]
                rows.append(head + [market["market"], category, str(counted), "", "", credits])
    rows += _credit_money_rows(result, head)
    for line in (result.get("credits") or {}).get("not_priced", []):
        rows.append(head + [line["market"], line["category"], str(line.get("messages", line.get("conversations"))),
                            "", "", "not priced", line["text"]])
    for row in (result.get("calls") or {}).get("rows", []):  # quotes/calls.py: calls at Meta's price
        price = row["meta"] if row["priced"] else ""
        rows.append(head + [row["market"], "calls_minutes", str(row["billed_minutes"]), price, price, ""])
    totals = result["totals"]
    everywhere = head + ["All markets"]
    agent = result.get("meta_business_agent")
    if agent:  # amounts empty where the card currency has no rate (never an invented figure)
        rows.append(everywhere + ["meta_business_agent", str(agent["tokens"]), agent["meta"] or "",
                                  agent["provider"] or "", "", agent["note"] or ""])
    rows += _package_rows(result, head)
    if "monthly_fee" in totals:
        rows.append(everywhere + ["platform_fee", "", "", totals["monthly_fee"], ""])
        rows.append(everywhere + ["discount", "", "", "-" + totals["discount"] if totals["discount"] != "0.00" else "0.00", ""])
    rows.append(everywhere + ["total", "", totals["meta"], totals["provider"], totals.get("credits", "")])
    rows += _tax_rows(result, everywhere)
    if result.get("stale_rules"):
        rows.append(everywhere + ["stale_rules", "", "", "", "", customer.stale_text(result)])
    rows += _comparison_rows(customer.comparison(result), [quote.reference, quote.customer], result["currency"],
                             credits=bool(result.get("credits")))
    # Every row as wide as the header: the note column is empty unless a row has something to say.
    rows = [row + [""] * (len(CSV_COLUMNS) - len(row)) for row in rows]
    if not internal:
        return rows
    record = quote.customer_record.public_id if quote.customer_record_id else ""
    return [rows[0] + ["customer_id"]] + [row + [record] for row in rows[1:]]


def _comparison_rows(comparison: list[dict], head: list[str], currency: str, *, credits: bool) -> list[list[str]]:
    """The same messages on each card compared (its date in priced_on, its card in rate_card), the amount in
    the provider_price column and its words in the note, as the quote's own total lines: Meta's charges, our
    charges, the net, the tax and the gross; a credit quote: the credits and their money where the plan has
    a price per credit on the row's date. Quotes saved before these figures: Meta's charges and the net."""
    rows = []
    for entry in comparison:
        start = head + [entry["on"], currency, entry["card"], "All markets"]
        if credits:
            money = entry.get("credits_money")
            note = credit_money_text(money) if money else NO_MONEY_PRICE
            rows.append(start + ["comparison_credits", "", entry["meta_total"], money["total"] if money else "",
                                 entry["credits_total"] or "", note])
            continue
        gross_label = f"Total incl. {entry['tax_name']}" if entry.get("tax_name") else "Total"
        lines = [("meta_charges", entry["meta_total"], "Meta's charges"),
                 ("own_charges", entry.get("own_charges"), "Our charges"),
                 ("net", entry.get("net") or entry.get("provider_total") or entry["meta_total"], "Net"),
                 ("tax", entry.get("tax"), entry.get("tax_label")),
                 ("gross", entry.get("gross"), gross_label)]
        rows += [start + [f"comparison_{key}", "", "", amount, "", label] for key, amount, label in lines
                 if amount is not None]
    return rows


def _tax_rows(result: dict, everywhere: list[str]) -> list[list[str]]:
    """Meta's pass-through charges, the provider's own, the net, the tax and the gross (quotes/tax.py), the
    amount in the provider_price column and the words in the note; a credit quote: its tax line alone."""
    lines = summary_lines(result)
    if result.get("credits"):
        lines = [line for line in lines if line.key == "tax"]
    return [everywhere + [line.key, "", "", line.amount, "", line.label] for line in lines]


def _credit_money_rows(result: dict, head: list[str]) -> list[list[str]]:
    """A credit plan's credits in money (provider_price column) per market and in all, at the plan's price per
    credit; without one a single row says the quote is in credits only."""
    credits = result.get("credits")
    if not credits:
        return []
    money = credits.get("money")
    if money is None:
        return [head + ["All markets", "credits_in_money", "", "", "", credits["total"],
                        credits.get("money_text") or NO_MONEY_PRICE]]
    rows = [head + [line["market"], "credits_in_money", "", "", line["money"], line["credits"], money["text"]]
            for line in money["by_market"]]
    return rows + [head + ["All markets", "credits_in_money", "", "", money["total"], credits["total"], money["text"]]]


def _package_rows(result: dict, head: list[str]) -> list[list[str]]:
    """A package's units per market and kind (units in the charged column), then its fee, units and overage."""
    package = result["totals"].get("package")
    if package is None:
        return []
    rows = []
    for market in result["markets"]:
        for row in market["package"]["rows"]:
            rows.append(head + [market["market"], f"package_units_{row['kind']}", str(row["units"]), "", "", "",
                                f"units for {row['label'].lower()}"])
    everywhere = head + ["All markets"]
    on_top = package["meta_charges"] == "on_top"
    rows += [
        everywhere + ["package_fee", "", "", package["monthly_fee"], "", "package fee a month"],
        everywhere + ["package_units_included", str(package["included_units"]), "", "", "",
                      "unused units do not roll over"],
        everywhere + ["package_units_used", str(package["used_units"]), "", "", "", ""],
        everywhere + ["package_overage", str(package["overage_units"]), "", package["overage"], "",
                      f"units over the package at {package['overage_per_unit']} a unit"],
        everywhere + ["package_meta_charges", "", result["totals"]["meta"], result["totals"]["meta"] if on_top else "",
                      "", "Meta's charges passed through on top" if on_top else "Meta's charges included in the package"],
        everywhere + ["effective_price_per_message", str(package["messages"]), "",
                      package["effective_price_per_message"] or "", "", "the total over every message sent"],
    ]
    return rows


def csv_response(quote: Quote, *, internal: bool = False) -> HttpResponse:
    buffer = io.StringIO()
    csv_writer(buffer).writerows(csv_rows(quote, internal=internal))
    return csv_download(buffer.getvalue(), f"quote-{quote.reference}.csv")
