"""The calculator page's form: a formset of lines (prefix ``lines``) and the estimate-wide fields.

The page is a GET form, so its URL is the estimate. Every field is optional in the URL: a missing
estimate-wide field takes its default and a missing management form is inferred from the line fields
present, so hand-written links like ``/?lines-0-country=IN&lines-0-utility=1000`` work.

Counts are typed as text (``inputmode="decimal"``) rather than ``type=number``: browsers send an
empty value for "12abc" in a number input, and the user should be told what is wrong instead. A count
is a whole number written as people write it ("200.000", "200k": ``calculator/counts.py``), echoed
back beside its field ("= 200,000 messages").
Shares are entered as percentages (30 = 30%) and become shares in [0, 1] for the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django import forms
from django.http import QueryDict

from calculator.counts import CountField
from calculator.countries import CountryField, country_code, country_names  # noqa: F401 (imported from here)
from calculator.engine import limits
from calculator.engine.estimate import (ASSUMPTION_FIELDS, COUNT_FIELDS, SHARE_FIELDS, AssumptionOverrides,
                                         Assumptions, EstimateLine, EstimateRequest)
from calculator.engine.limits import (MAX_AGENT_TOKENS, MAX_CALCULATOR_LINES, MAX_COUNT, MAX_PER_CONVERSATION,
                                      MAX_PHONE_NUMBERS)
from calculator.engine.vocabulary import plain_number

PREFIX = "lines"
HUNDRED = Decimal(100)

def _number_text(value) -> str:
    """Digits as people write them: thousands separated by commas, spaces or underscores."""
    return re.sub(r"[\s,_'\u00a0\u202f]", "", str(value or ""))


class AmountField(forms.Field):
    """A Decimal typed as text, with a message a newcomer understands for each way it can be wrong."""

    def __init__(self, *, low: Decimal, high: Decimal, low_text: str, percent: bool = False, **kwargs):
        self.low, self.high, self.low_text, self.percent = low, high, low_text, percent
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value) -> Decimal | None:
        text = _number_text(value)
        if self.percent:
            text = text.removesuffix("%")
        if not text:
            return None
        try:
            number = limits.parse_decimal(text)  # bounded: 1E-99999999 is refused, never written out
        except limits.NumberRefused as exc:
            if exc.kind == "not_a_number":
                raise forms.ValidationError("'%(text)s' is not a number: use digits, e.g. 25000",
                                            params={"text": str(value).strip()[:30]}, code="invalid") from None
            if exc.kind == "not_finite":
                raise forms.ValidationError("enter a finite number", code="invalid") from None
            if exc.kind != "too_large":
                raise forms.ValidationError("'%(text)s' %(reason)s", params={"text": str(value).strip()[:30],
                                                                           "reason": exc}, code="invalid") from None
            number = self.high + 1  # refused just below, with the field's own bound
        if number < self.low:
            raise forms.ValidationError(self.low_text, code="min_value")
        if number > self.high:
            if self.percent:
                raise forms.ValidationError(self.low_text, code="max_value")
            raise forms.ValidationError("must be at most %(high)s", params={"high": f"{self.high:,}"},
                                        code="max_value")
        return number / HUNDRED if self.percent else number

    def prepare_value(self, value):
        if isinstance(value, Decimal) and self.percent:
            return plain_number(value * HUNDRED)
        if isinstance(value, Decimal):
            return plain_number(value)
        return value


def count_field(label: str) -> CountField:
    """A whole number of messages, as people write it ("200.000", "200k": calculator/counts.py)."""
    return CountField(label=label, high=MAX_COUNT)


def share_field(label: str, **kwargs) -> AmountField:
    return AmountField(label=label, low=Decimal(0), high=HUNDRED, low_text="must be a percentage from 0 to 100",
                       percent=True, **kwargs)


def per_conversation_field(label: str, **kwargs) -> AmountField:
    return AmountField(label=label, low=Decimal(1), high=MAX_PER_CONVERSATION,
                       low_text="must be 1 or more (a conversation holds at least one message)", **kwargs)


ASSUMPTION_LABELS = {
    "utility_in_service_window": "Utility sent while the chat is open (%)",
    "free_entry_point": "Messages after an ad or Page button (%)",
    "templates_per_conversation": "Templates per 24 h conversation",
    "service_messages_per_conversation": "Replies per service conversation",
}
HELP = {
    "on": "Which month's prices: the rate card in force on this date is used.",
    "currency": "Meta bills in the currency of your account; only currencies with a rate card on that date are listed.",
    "business_country": "Your business's primary country. Authentication messages to other countries can cost more.",
    "auth_international": "Tick if Meta has told you that you pay authentication-international rates "
                          "(businesses sending over 750,000 one-time passwords in 30 days).",
    "business_phone_numbers": "How many WhatsApp numbers you send from. From 2026-10-01 each gets 1,000 free service messages a month.",
    "meta_business_agent_tokens": "Tokens a month written by Meta's own AI agent answering your customers. From "
                                  "2026-08-01 Meta charges them per million tokens (USD 2.00), in no window free.",
    "utility_in_service_window": "Share of utility messages (order updates, receipts) sent within 24 hours of the "
                                 "customer writing to you. Under some cards these are free.",
    "free_entry_point": "Share of all messages sent to people who wrote to you from a click-to-WhatsApp ad or a "
                        "Facebook Page button: free for 72 hours.",
    "templates_per_conversation": "Old conversation-based pricing only: how many templates of one kind a person "
                                  "gets within 24 hours (they were billed as one conversation).",
    "service_messages_per_conversation": "Old conversation-based pricing only: how many of your replies make up "
                                         "one customer service conversation.",
}
# Where /how-meta-charges/ explains each estimate-wide field.
HELP_SECTIONS = {
    "on": "rules", "currency": "rules", "business_country": "authentication-international",
    "auth_international": "authentication-international", "business_phone_numbers": "rules",
    "meta_business_agent_tokens": "rules",
    "utility_in_service_window": "service-window", "free_entry_point": "free-entry-point",
    "templates_per_conversation": "rules", "service_messages_per_conversation": "rules",
}
DEFAULTS = {
    "utility_in_service_window": Decimal(0), "free_entry_point": Decimal(0),
    "templates_per_conversation": Decimal(1), "service_messages_per_conversation": Decimal(1),
    "business_phone_numbers": 1,
}


def describe_errors(form: forms.Form) -> None:
    """Every input names its error slot (``<id>_error``), which stays on the page empty when there is no
    error: the slot is updated in place while the user types, and the input keeps pointing at it."""
    for name, field in form.fields.items():
        auto_id = form[name].auto_id
        ids = ([f"{auto_id}_helptext"] if field.help_text else []) + [f"{auto_id}_error"]
        if isinstance(field, CountField):  # "= 200,000 messages": the count as read
            ids.append(f"{auto_id}_echo")
        field.widget.attrs["aria-describedby"] = " ".join(ids)


class LineForm(forms.Form):
    country = CountryField(label="Country", required=False,
                           widget=forms.TextInput(attrs={"list": "country-list", "autocomplete": "off",
                                                         "placeholder": "Type a country", "spellcheck": "false"}))
    marketing = count_field("Marketing")
    utility = count_field("Utility")
    authentication = count_field("Authentication")
    service = count_field("Service")
    utility_in_service_window = share_field(ASSUMPTION_LABELS["utility_in_service_window"])
    free_entry_point = share_field(ASSUMPTION_LABELS["free_entry_point"])
    templates_per_conversation = per_conversation_field(ASSUMPTION_LABELS["templates_per_conversation"])
    service_messages_per_conversation = per_conversation_field(ASSUMPTION_LABELS["service_messages_per_conversation"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        describe_errors(self)

    def clean(self):
        data = super().clean()
        if not data.get("country") and "country" not in self.errors:
            if any(data.get(name) for name in COUNT_FIELDS):
                self.add_error("country", "choose the recipients' country")
        return data

    def has_assumptions(self) -> bool:
        return any(self[name].value() not in (None, "") for name in ASSUMPTION_FIELDS)

    def has_assumption_errors(self) -> bool:
        return any(name in self.errors for name in ASSUMPTION_FIELDS)

    def to_line(self) -> EstimateLine:
        data = self.cleaned_data
        return EstimateLine(
            country=data["country"],
            **{name: data.get(name) or Decimal(0) for name in COUNT_FIELDS},
            assumptions=AssumptionOverrides(**{name: data.get(name) for name in ASSUMPTION_FIELDS}),
        )


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        """Lines are checked one by one (a bad line is left out, the others are priced): nothing here."""


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=1, max_num=MAX_CALCULATOR_LINES,
                                    absolute_max=MAX_CALCULATOR_LINES, validate_max=True)


class EstimateForm(forms.Form):
    on = forms.DateField(label="Price on", required=False, widget=forms.DateInput(attrs={"type": "date"},
                                                                                      format="%Y-%m-%d"))
    currency = forms.ChoiceField(label="Currency", required=False, choices=[])
    business_country = CountryField(label="Your business's country", required=False,
                                    widget=forms.TextInput(attrs={"list": "country-list", "autocomplete": "off",
                                                                  "placeholder": "Type a country",
                                                                  "spellcheck": "false"}))
    auth_international = forms.BooleanField(label="Eligible for authentication-international rates", required=False)
    business_phone_numbers = forms.IntegerField(label="Business phone numbers", required=False, min_value=1,
                                                max_value=MAX_PHONE_NUMBERS,
                                                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    meta_business_agent_tokens = CountField(label="Meta Business Agent tokens a month", high=MAX_AGENT_TOKENS,
                                            noun="token")
    utility_in_service_window = share_field(ASSUMPTION_LABELS["utility_in_service_window"])
    free_entry_point = share_field(ASSUMPTION_LABELS["free_entry_point"])
    templates_per_conversation = per_conversation_field(ASSUMPTION_LABELS["templates_per_conversation"])
    service_messages_per_conversation = per_conversation_field(ASSUMPTION_LABELS["service_messages_per_conversation"])

    def __init__(self, *args, currencies: list[str], today: date | None = None, currencies_on=None, **kwargs):
        """``currencies``: those with a card on the date asked for; ``currencies_on(date)`` lists them for
        another date (today's, while the date asked for cannot be priced)."""
        super().__init__(*args, **kwargs)
        self.currencies, self.today, self.currencies_on = currencies, today, currencies_on
        self.priced: PricedAs | None = None  # set by clean()
        self.fields["currency"].choices = [(c, c) for c in currencies]
        self.fields["currency"].error_messages["invalid_choice"] = (
            "there is no %(value)s rate card on that date; choose " + (" or ".join(currencies) or "another date"))
        for name, text in HELP.items():
            self.fields[name].help_text = text
        describe_errors(self)
        self.fields["business_phone_numbers"].error_messages.update(
            min_value="must be 1 or more", max_value=f"must be at most {MAX_PHONE_NUMBERS:,}",
            invalid="enter a whole number, e.g. 2")

    def clean(self):
        """Besides the fields: what the estimate is priced as while some of them are wrong (the date, the
        currency, an assumption), each with a notice saying so; the page still shows a price."""
        cleaned = super().clean()
        on, currencies, notices = cleaned.get("on") or self.today, self.currencies, []
        if "on" in self.errors or not currencies:
            if not currencies:
                self.add_error("on", f"no rate card is in force on {self.data.get('on')}: choose a later date")
            on = self.today
            notices.append(f"Priced for today ({on.isoformat()}) until the date is fixed.")
            currencies = self.currencies_on(on)
        currency = cleaned.get("currency") or None
        if "currency" in self.errors or currency not in currencies:
            currency = _default_currency(currencies)
            if currency:
                notices.append(f"Priced in {currency} until the currency is fixed.")
        notices += [f"{self.fields[name].label}: using {default} until the value is fixed."
                    for name, default in DEFAULTS.items() if name in self.errors]
        self.priced = PricedAs(on, currency, currencies, notices)
        return cleaned

    def estimate_request(self, lines: list[LineForm]) -> EstimateRequest:
        cleaned = self.cleaned_data
        return EstimateRequest(
            lines=tuple(line.to_line() for line in lines),
            assumptions=Assumptions(**{name: _value(cleaned, name) for name in ASSUMPTION_FIELDS}),
            business_country=cleaned.get("business_country") or None,
            auth_international=bool(cleaned.get("auth_international")),
            business_phone_numbers=_value(cleaned, "business_phone_numbers"),
            # Blank: not asked, and the result shows no agent row; a bad value is left out until fixed.
            meta_business_agent_tokens=cleaned.get("meta_business_agent_tokens") or None,
        )


@dataclass(frozen=True)
class PricedAs:
    """The date, currency and currencies an estimate is priced with, and notices of fields left out."""

    on: date
    currency: str | None
    currencies: list[str]
    notices: list[str]


@dataclass
class CalculatorInput:
    """The page's form, read: the forms to show again and what can be priced."""

    form: EstimateForm
    formset: LineFormSet
    on: date
    currency: str | None
    currencies: list[str]
    request: EstimateRequest | None  # None when no line can be priced
    line_forms: list[LineForm] = field(default_factory=list)  # the forms behind request.lines, in order
    notices: list[str] = field(default_factory=list)  # fields left at their default until fixed

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors) or any(f.errors for f in self.formset.forms)


LINE_KEY = re.compile(rf"^{PREFIX}-(\d+)-")


def line_indexes(data: QueryDict) -> list[int]:
    found = set()
    for key in data:
        match = LINE_KEY.match(key)
        if match and len(match.group(1)) <= 6:
            found.add(int(match.group(1)))
    return sorted(found)


def check_line_budget(data: QueryDict) -> None:
    """Refuse (OverBudget, a 400) an estimate of more lines than a page may have: each line is a row of
    inputs to render, so `?lines-TOTAL_FORMS=1000` alone would cost seconds (issue 11)."""
    total = data.get(f"{PREFIX}-TOTAL_FORMS", "").strip()
    asked = [int(total) if len(total) <= 6 else 10**6] if _ascii_digits(total) else []
    for key in data:
        match = LINE_KEY.match(key)
        if match:
            asked.append(int(match.group(1)) + 1 if len(match.group(1)) <= 6 else 10**6)
    most = max(asked, default=0)
    if most > MAX_CALCULATOR_LINES:
        shown = f"{most:,}" if most < 10**6 else "a million or more"
        raise limits.OverBudget(f"an estimate has at most {MAX_CALCULATOR_LINES} lines (countries); this one asks "
                                f"for {shown}")


def _ascii_digits(text: str) -> bool:
    """Digits int() reads ("²" is a digit to str.isdigit, not to int)."""
    return text.strip().isascii() and text.strip().isdigit()


def with_management(data: QueryDict) -> QueryDict:
    """The query with the formset's management form filled in where a hand-written URL lacks it."""
    check_line_budget(data)
    data = data.copy()
    total = data.get(f"{PREFIX}-TOTAL_FORMS", "")
    if _ascii_digits(total):  # kept stripped: "0\x1f" strips to "0" but int() refuses it
        data[f"{PREFIX}-TOTAL_FORMS"] = total.strip()
    else:
        indexes = line_indexes(data)
        data[f"{PREFIX}-TOTAL_FORMS"] = str(indexes[-1] + 1 if indexes else 1)
    data.setdefault(f"{PREFIX}-INITIAL_FORMS", "0")
    return data


def read_calculator(data: QueryDict | None, today: date, currencies_on) -> CalculatorInput:
    """Read the page's query (None: a first visit, nothing typed yet).

    ``currencies_on(date)`` lists the currencies with a card in force on a date. The estimate is priced
    from every line and field that is valid; the rest is shown with its error and a notice.
    """
    if not data or not any(key in data for key in EstimateForm.base_fields) and not line_indexes(data):
        currencies = currencies_on(today)
        currency = _default_currency(currencies)
        form = EstimateForm(initial={"on": today, "currency": currency, **DEFAULTS}, currencies=currencies)
        return CalculatorInput(form, LineFormSet(prefix=PREFIX), today, currency, currencies, None)
    data = _with_fallbacks(with_management(data), today, currencies_on)
    form = EstimateForm(data, currencies=currencies_on(_date_of(data["on"], today)), today=today,
                        currencies_on=currencies_on)
    formset = LineFormSet(data, prefix=PREFIX)
    form.is_valid()
    formset.is_valid()
    priced = form.priced
    # A line whose country is known is priced without its wrong fields; one without a country cannot be.
    good = [f for f in formset.forms if f.has_changed() and f.cleaned_data.get("country")]
    notices = _line_notices(formset.forms, good) + priced.notices
    request = form.estimate_request(good) if good else None
    return CalculatorInput(form, formset, priced.on, priced.currency, priced.currencies, request, good, notices)


def _with_fallbacks(data: QueryDict, today: date, currencies_on) -> QueryDict:
    """A hand-written link may leave fields out: they are shown with the value they are priced with."""
    if not data.get("on"):
        data["on"] = today.isoformat()
    if not data.get("currency"):
        currency = _default_currency(currencies_on(_date_of(data["on"], today)))
        if currency:
            data["currency"] = currency
    for name, default in DEFAULTS.items():
        if name not in data:
            data[name] = plain_number(default * HUNDRED) if name in SHARE_FIELDS else str(default)
    return data


def _line_notices(lines: list[LineForm], good: list[LineForm]) -> list[str]:
    notices = []
    for number, line in enumerate(lines, start=1):
        if line.errors and line in good:
            wrong = " and ".join(line.fields[name].label.lower() for name in line.errors if name in line.fields)
            notices.append(f"Line {number}: {wrong} left out until fixed.")
        elif line.errors:
            notices.append(f"Line {number} left out until fixed.")
    return notices


def _value(cleaned: dict, name: str):
    value = cleaned.get(name)
    return DEFAULTS[name] if value is None else value


def _date_of(text: str, today: date) -> date:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else today
    except ValueError:
        return today


def _default_currency(currencies: list[str]) -> str | None:
    if "USD" in currencies:
        return "USD"
    return currencies[0] if currencies else None


def canonical_query(data: QueryDict) -> str:
    """The query string that reproduces an estimate: the form's own fields, in a stable order."""
    data = with_management(data)
    keep = QueryDict(mutable=True)
    for name in EstimateForm.base_fields:
        if data.get(name, "") != "":
            keep[name] = data[name]
    total = int(data[f"{PREFIX}-TOTAL_FORMS"])
    keep[f"{PREFIX}-TOTAL_FORMS"] = str(total)
    for index in range(total):
        for name in LineForm.base_fields:
            key = f"{PREFIX}-{index}-{name}"
            if data.get(key, "") != "":
                keep[key] = data[key]
    for key, values in calls_query(data).lists():
        keep.setlist(key, values)
    return keep.urlencode(safe=",")


# The calls section's fields (formset prefix "calls", read in calculator/calls_page.py); named here because
# the canonical query above keeps them too.
CALLS_PREFIX = "calls"
MAX_CALLS_LINES = 50
CALLS_FIELDS = ("country", "business_minutes", "average_seconds", "user_minutes")
_CALLS_INDEX = re.compile(rf"^{CALLS_PREFIX}-(\d+)-")


def calls_indexes(data: QueryDict | None) -> list[int]:
    if not data:
        return []
    return sorted({int(m.group(1)) for key in data
                   if (m := _CALLS_INDEX.match(key)) and int(m.group(1)) < MAX_CALLS_LINES})


def calls_query(data: QueryDict) -> QueryDict:
    """The calls fields of a query that are filled, for the page's canonical URL."""
    keep = QueryDict(mutable=True)
    for index in calls_indexes(data):
        for name in CALLS_FIELDS:
            key = f"{CALLS_PREFIX}-{index}-{name}"
            if (data.get(key) or "").strip():
                keep[key] = data[key]
    return keep
