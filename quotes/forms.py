"""The quote forms: a new quote (customer, plan, validity, notes) and the list's search and filters."""

from __future__ import annotations

from datetime import date, timedelta

from urllib.parse import urlencode

from django import forms
from django.urls import reverse

from calculator.countries import country_names
from plans.models import ExchangeRate, PricePlan, is_currency_code
from quotes.build import MissingRate
from quotes.models import QuoteStatus

DEFAULT_VALIDITY = timedelta(days=30)


def currency_choices(card_currencies: list[str]) -> list[tuple[str, str]]:
    """Currencies a quote can be in: those of cards, of money plans and of the admin's exchange rates.
    A currency with a card is priced on Meta's own card; the others are converted at an entered rate."""
    known = set(card_currencies)
    known |= set(PricePlan.objects.exclude(currency="").values_list("currency", flat=True))
    for base, quote in ExchangeRate.objects.values_list("base", "quote").distinct():
        known |= {base, quote}
    return [("", "Automatic: the plan's, else the calculator's")] + [
        (c, f"{c}: Meta's own {c} card" if c in card_currencies else f"{c}: converted at an exchange rate")
        for c in sorted(known)]


def country_choices() -> list[tuple[str, str]]:
    return [("", "None: no tax")] + [(code, f"{name} ({code})") for code, name in country_names().items()]


def exchange_rate_help(missing: MissingRate, user) -> dict:
    """What to set so a quote in a currency without a card can be made: the admin's exchange-rate form,
    filled in with the pair and the date."""
    query = urlencode({"base": missing.base, "quote": missing.quote, "effective_from": missing.on.isoformat()})
    return {"base": missing.base, "quote": missing.quote, "on": missing.on,
            "add_url": f"{reverse('admin:plans_exchangerate_add')}?{query}",
            "may_add": user.has_perm("plans.add_exchangerate")}


class QuoteForm(forms.Form):
    customer = forms.CharField(max_length=200, label="Customer", widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    price_plan = forms.ModelChoiceField(PricePlan.objects.all(), required=False, label="Price plan",
                                        empty_label="None: Meta's prices only", to_field_name="name")
    quote_currency = forms.ChoiceField(
        required=False, label="Currency of the quote", choices=[],
        help_text="A currency with Meta's own card is priced on that card, as Meta bills an account in it; any "
                  "other is converted at an exchange rate an admin enters (Admin → Exchange rates).")
    tax_country = forms.ChoiceField(
        required=False, label="Customer's country, for tax", choices=[],
        error_messages={"invalid_choice": "%(value)s is not a country: choose one from the list, or none for no tax."},
        help_text="The tax an admin set for this country (Admin → Tax settings), in force on the pricing date, is "
                  "added to the net price; none, or no setting for the country: no tax. A saved quote keeps the tax "
                  "it was priced with.")
    on = forms.DateField(label="Price with the cards in force on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    valid_until = forms.DateField(required=False, label="Valid until",
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                            help_text="Internal: only your team sees them, unless you tick the box below.")
    notes_for_customer = forms.BooleanField(required=False, label="Show the notes to the customer")
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100_000)
    source = forms.CharField(required=False, widget=forms.HiddenInput, max_length=24)

    def __init__(self, *args, today: date, card_currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["quote_currency"].choices = currency_choices(card_currencies)
        self.fields["tax_country"].choices = country_choices()

    def clean_valid_until(self) -> date | None:
        value = self.cleaned_data.get("valid_until")
        if value is not None and value < self.today:
            raise forms.ValidationError("must be today or later")
        return value

    def clean_quote_currency(self) -> str:
        value = self.cleaned_data.get("quote_currency") or ""
        if value and not is_currency_code(value):
            raise forms.ValidationError("three capital letters, e.g. EUR")
        return value


SORTS = {
    "-created": ("-created_at", "Newest first"),
    "created": ("created_at", "Oldest first"),
    "customer": ("customer", "Customer A-Z"),
    "-total": ("-total", "Largest total"),
    "total": ("total", "Smallest total"),
    "valid_until": ("valid_until", "Validity ending soonest"),
}


class QuoteFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Customer", max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search customers"}))
    status = forms.ChoiceField(required=False, label="Status",
                               choices=[("", "Any status")] + list(QuoteStatus.choices))
    sort = forms.ChoiceField(required=False, label="Sort", choices=[(k, label) for k, (_, label) in SORTS.items()])

    def ordering(self) -> str:
        key = self.cleaned_data.get("sort") if self.is_valid() else ""
        return SORTS.get(key or "-created")[0]
