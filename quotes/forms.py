"""The quote forms: a new quote (customer, plan, validity, notes) and the list's search and filters."""

from __future__ import annotations

from datetime import date, timedelta

from urllib.parse import urlencode

from django import forms
from django.urls import reverse

from calculator.countries import country_names
from customers.models import COUNTRIES, Customer
from customers.terms import NO_OVERRIDES
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
    return [("", "None: no tax (with a customer: its country's)")] + [
        (code, f"{name} ({code})") for code, name in country_names().items()]


def exchange_rate_help(missing: MissingRate, user) -> dict:
    """What to set so a quote in a currency without a card can be made: the admin's exchange-rate form,
    filled in with the pair and the date."""
    query = urlencode({"base": missing.base, "quote": missing.quote, "effective_from": missing.on.isoformat()})
    return {"base": missing.base, "quote": missing.quote, "on": missing.on,
            "add_url": f"{reverse('admin:plans_exchangerate_add')}?{query}",
            "may_add": user.has_perm("plans.add_exchangerate")}


class QuoteForm(forms.Form):
    """A customer record (chosen, or found by its exact name) prices the quote with its price book: its
    plan and currency unless others are chosen, its overrides on top. A new name with a country creates
    the customer record; a name alone is kept as text, as before customers existed."""

    customer_id = forms.ModelChoiceField(Customer.objects.none(), required=False, label="Customer",
                                         to_field_name="public_id", empty_label="A new customer: type the name below")
    customer = forms.CharField(max_length=200, required=False, label="Customer's name",
                               widget=forms.TextInput(attrs={"autocomplete": "organization"}),
                               help_text="An existing customer's exact name picks that customer.")
    new_country = forms.CharField(max_length=2, required=False, label="A new customer's country",
                                  widget=forms.TextInput(attrs={"size": 3, "maxlength": 2}),
                                  help_text="Two letters (e.g. IN): saves the typed name as a customer record too.")
    price_plan = forms.ModelChoiceField(PricePlan.objects.all(), required=False, label="Price plan",
                                        empty_label="None: Meta's prices only (with a customer: its default plan)",
                                        to_field_name="name")
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

    def __init__(self, *args, today: date, card_currencies: list[str], user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["quote_currency"].choices = currency_choices(card_currencies)
        self.fields["tax_country"].choices = country_choices()
        self.customers = (Customer.objects.visible_to(user).select_related("price_plan") if user
                          else Customer.objects.none())
        self.fields["customer_id"].queryset = self.customers

    def clean_new_country(self) -> str:
        value = (self.cleaned_data.get("new_country") or "").strip().upper()
        if value and value not in COUNTRIES:
            raise forms.ValidationError("two letters of ISO 3166, e.g. IN, DE or BR")
        return value

    def clean(self) -> dict:
        data = super().clean()
        record = data.get("customer_id")
        name = (data.get("customer") or "").strip()
        if record is None and name:
            record = self.customers.filter(name__iexact=name).order_by("pk").first()
        if record is None and not name:
            self.add_error("customer", "Choose a customer or type the name of a new one.")
        data["record"] = record
        data["overrides"] = record.overrides if record is not None else NO_OVERRIDES
        if record is not None:
            data["customer"] = record.name
            if not data.get("price_plan") and "price_plan" not in self.errors:
                data["price_plan"] = record.price_plan
            if not data.get("quote_currency") and "quote_currency" not in self.errors:
                data["quote_currency"] = record.currency
            if not data.get("tax_country") and "tax_country" not in self.errors:
                data["tax_country"] = record.country  # the customer's country's tax, as its plan and currency
        return data

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
