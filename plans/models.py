"""Providers' own price plans, on top of Meta's rates, and the exchange rates quotes may need.

A plan is money (dated terms: markups, fees, platform fee, discount, in the plan's currency), credits
(a dated credit table per region and category; the shipped example table is the first plan) or a package
(dated package terms: a monthly fee with included units, units per template and window, an overage price).
What must always hold is a database constraint; overlapping dates need several rows, so `clean()`
refuses them with a message (the admin calls it). The arithmetic is in `plans.pricing` (no ORM).
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q

from plans.pricing import (
    CREDIT_PER_CONVERSATION,
    CREDIT_PER_MESSAGE,
    META_INCLUDED,
    META_ON_TOP,
    CreditTerms,
    PackageSnapshot,
    TermsSnapshot,
)
from ratecards.models import refuse_overlap

CREDIT_TABLE = Path(__file__).resolve().parent.parent / "ratecards" / "data" / "credit-ratios-example.csv"


CURRENCY_HELP = "ISO 4217, three capital letters, e.g. USD."


class PlanUnit(models.TextChoices):
    MONEY = "money", "Money"
    CREDITS = "credits", "Credits"
    PACKAGE = "package", "Package (units with overage)"


def is_currency_code(text: str) -> bool:
    return len(text) == 3 and text.isascii() and text.isalpha() and text.isupper()


def period_text(start: date, end: date | None) -> str:
    return f"{start.isoformat()} to {end.isoformat() if end else 'open'}"


def dates_in_order(name: str) -> models.CheckConstraint:
    """A dated row's last day (empty: open) is not before its first."""
    return models.CheckConstraint(
        condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")), name=name)


def dates_out_of_order(row: models.Model) -> dict[str, str]:
    """clean()'s message where a dated row's last day is before its first; {} otherwise."""
    if row.effective_from and row.effective_to and row.effective_to < row.effective_from:
        return {"effective_to": "Must not be before the first day."}
    return {}


def refuse_overlapping_dates(row: models.Model, siblings: models.QuerySet, what: str) -> None:
    """Refuse a dated row (effective_from, effective_to) whose days overlap another of ``siblings`` (the rows it
    must not overlap: the same plan's, say), naming the other's dates."""
    refuse_overlap(siblings.exclude(pk=row.pk), row.effective_from, row.effective_to,
                   lambda other: f"These dates ({period_text(row.effective_from, row.effective_to)}) overlap the "
                                 f"{what} of {period_text(other.effective_from, other.effective_to)}: end those first.")


class PricePlan(models.Model):
    name = models.CharField(max_length=100, unique=True, help_text="Quotes and the API name the plan by this.")
    unit = models.CharField(
        max_length=10, choices=PlanUnit.choices, default=PlanUnit.MONEY,
        help_text="Money: markups and fees on top of Meta's prices (dated terms). Credits: credits per "
        "conversation or message by region and category (credit rates). Package: a monthly fee with included "
        "units and an overage price per unit (dated package terms).",
    )
    currency = models.CharField(
        max_length=3, blank=True,
        help_text="ISO 4217 currency of the plan's fees; required for money and package plans.",
    )
    notes = models.TextField(blank=True, help_text="Internal; never shown on a quote.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(unit__in=["money", "credits", "package"]), name="plan_unit_known"),
            models.CheckConstraint(condition=Q(unit="credits") | ~Q(currency=""), name="money_plan_has_currency"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.unit != PlanUnit.CREDITS and not self.currency:
            raise ValidationError({"currency": f"A {self.kind} plan needs the currency of its fees (e.g. USD)."})
        if self.currency and not is_currency_code(self.currency):
            raise ValidationError({"currency": CURRENCY_HELP})

    @property
    def is_credits(self) -> bool:
        return self.unit == PlanUnit.CREDITS

    @property
    def kind(self) -> str:
        """"money", "credit" or "package", as in "a credit plan"."""
        return "credit" if self.is_credits else self.unit

    @property
    def is_package(self) -> bool:
        return self.unit == PlanUnit.PACKAGE

    def package_terms_on(self, on: date) -> "PackageTerms | None":
        return self.package_terms.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on), effective_from__lte=on
        ).order_by("-effective_from").first()

    def terms_on(self, on: date) -> "PlanTerms | None":
        return self.terms.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on), effective_from__lte=on
        ).order_by("-effective_from").first()

    def credit_money_on(self, on: date, currency: str) -> "CreditMoneyPrice | None":
        """The money price of one credit in the currency in force on the date; None: credits only."""
        return self.credit_money_prices.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on), currency=currency, effective_from__lte=on
        ).order_by("-effective_from").first()

    def credit_table_on(self, on: date) -> CreditTerms | None:
        """The credit table in force on the date: its unit, first day and (region, category) -> credits
        (None: not offered); None when no row is in force."""
        rows = list(self.credit_rates.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on),
                                             effective_from__lte=on))
        if not rows:
            return None
        units = {r.unit for r in rows}
        if len(units) > 1:  # clean() refuses this; rows written around it are not guessed at
            raise ValueError(f"{self.name}'s credit rows in force on {on.isoformat()} mix units: {sorted(units)}")
        return CreditTerms(unit=units.pop(), effective_from=max(r.effective_from for r in rows),
                           rates={(r.region, r.category): r.credits for r in rows})


def _money_field(help_text: str) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0), help_text=help_text)


def _percent_field(help_text: str) -> models.DecimalField:
    return models.DecimalField(max_digits=7, decimal_places=3, default=Decimal(0), help_text=help_text)


FEE_FIELDS = ("fee_per_message", "fee_per_conversation", "fee_per_receptive_window", "monthly_fee")
MARKUP_FIELDS = {
    "marketing": "markup_marketing", "utility": "markup_utility",
    "authentication": "markup_authentication", "service": "markup_service",
}


class PlanTerms(models.Model):
    """A money plan's prices from one date (to an optional last day), in the plan's currency."""

    plan = models.ForeignKey(PricePlan, on_delete=models.CASCADE, related_name="terms")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Last day in force (inclusive); empty: open.")
    markup_marketing = _percent_field("Percent of Meta's marketing cost added.")
    markup_utility = _percent_field("Percent of Meta's utility cost added.")
    markup_authentication = _percent_field("Percent of Meta's authentication cost added (also international).")
    markup_service = _percent_field("Percent of Meta's service cost added.")
    fee_per_message = _money_field("Per message Meta charges (the messages behind a charged conversation).")
    fee_per_conversation = _money_field("Per conversation (derived from the estimate on per-message cards).")
    fee_per_receptive_window = _money_field("Per user-initiated (receptive) window, charged or not by Meta.")
    charge_utility_in_window = models.BooleanField(
        default=False,
        help_text="Charge utility templates inside an open service window even where Meta does not "
        "(at Meta's utility list rate plus the utility markup, plus the message fee).",
    )
    monthly_fee = _money_field("Monthly platform fee.")
    discount_percent = _percent_field("Percent off the provider's whole price, platform fee included.")

    class Meta:
        ordering = ["plan", "effective_from"]
        verbose_name = "plan terms"
        verbose_name_plural = "plan terms"
        constraints = [
            models.UniqueConstraint(fields=["plan", "effective_from"], name="one_terms_per_plan_and_date"),
            dates_in_order("plan_terms_dates_in_order"),
            *[models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}), name=f"plan_terms_{name}_not_negative")
              for name in (*FEE_FIELDS, *MARKUP_FIELDS.values())],
            models.CheckConstraint(condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                                   name="plan_terms_discount_0_to_100"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} from {self.effective_from.isoformat()}"

    def clean(self) -> None:
        errors = {}
        for name in (*FEE_FIELDS, *MARKUP_FIELDS.values()):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = "Must be zero or more (a fee or markup cannot be negative; use the discount)."
        if self.discount_percent is not None and not 0 <= self.discount_percent <= 100:
            errors["discount_percent"] = "A percentage from 0 to 100."
        errors |= dates_out_of_order(self)
        if errors:
            raise ValidationError(errors)
        if self.plan_id and self.effective_from:
            if self.plan.unit != PlanUnit.MONEY:
                raise ValidationError(f"{self.plan} is a {self.plan.kind} plan: money terms apply to money plans only.")
            refuse_overlapping_dates(self, PlanTerms.objects.filter(plan_id=self.plan_id), "terms")

    def as_terms(self) -> TermsSnapshot:
        return TermsSnapshot(
            markup_percent={category: getattr(self, name) for category, name in MARKUP_FIELDS.items()},
            fee_per_message=self.fee_per_message, fee_per_conversation=self.fee_per_conversation,
            fee_per_receptive_window=self.fee_per_receptive_window,
            charge_utility_in_window=self.charge_utility_in_window,
            monthly_fee=self.monthly_fee, discount_percent=self.discount_percent,
        )


def _units_field(help_text: str, *, places: int = 3, digits: int = 10) -> models.DecimalField:
    return models.DecimalField(max_digits=digits, decimal_places=places, default=Decimal(0), help_text=help_text)


class MetaCharges(models.TextChoices):
    ON_TOP = META_ON_TOP, "Passed through on top of the package"
    INCLUDED = META_INCLUDED, "Included in the package"


PACKAGE_AMOUNTS = ("monthly_fee", "included_units", "units_marketing", "units_utility", "units_authentication",
                   "units_per_receptive_window", "overage_per_unit")


class PackageTerms(models.Model):
    """A package plan's terms from one date (to an optional last day): a monthly package of units."""

    plan = models.ForeignKey(PricePlan, on_delete=models.CASCADE, related_name="package_terms")
    effective_from = models.DateField(help_text="First day these terms apply (a quote uses the terms in force on its date).")
    effective_to = models.DateField(null=True, blank=True, help_text="Last day in force (inclusive); empty: open.")
    monthly_fee = _money_field("The package's price a month, in the plan's currency, whatever is used.")
    included_units = _units_field(
        "Units the monthly fee includes. Unused units do not roll over to the next month.", places=2, digits=14)
    units_marketing = _units_field("Units one marketing template consumes.")
    units_utility = _units_field(
        "Units one utility template consumes (inside a receptive window only if the box below is ticked).")
    units_authentication = _units_field("Units one authentication template consumes (international ones too).")
    units_per_receptive_window = _units_field(
        "Units a receptive window consumes: a conversation the customer starts (their message opens a 24-hour "
        "window). Free-form messages inside that window consume nothing.")
    utility_in_window_consumes_units = models.BooleanField(
        default=False,
        help_text="Utility templates sent inside a receptive window consume their units too (many providers "
        "charge them even where Meta does not). Unticked: they are free in the package.",
    )
    overage_per_unit = _money_field("Price of each unit used beyond the included units, in the plan's currency.")
    meta_charges = models.CharField(
        max_length=10, choices=MetaCharges.choices, default=MetaCharges.ON_TOP,
        help_text="Passed through on top: the customer pays Meta's charges as well as the package. Included: "
        "the package's price covers Meta's charges.",
    )

    class Meta:
        ordering = ["plan", "effective_from"]
        verbose_name = "package terms"
        verbose_name_plural = "package terms"
        constraints = [
            models.UniqueConstraint(fields=["plan", "effective_from"], name="one_package_terms_per_plan_and_date"),
            dates_in_order("package_terms_dates_in_order"),
            models.CheckConstraint(condition=Q(meta_charges__in=[META_ON_TOP, META_INCLUDED]),
                                   name="package_terms_meta_charges_known"),
            *[models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}), name=f"package_terms_{name}_not_negative")
              for name in PACKAGE_AMOUNTS],
        ]

    def __str__(self) -> str:
        return f"{self.plan} from {self.effective_from.isoformat()}"

    def clean(self) -> None:
        errors = {name: "Must be zero or more." for name in PACKAGE_AMOUNTS
                  if getattr(self, name) is not None and getattr(self, name) < 0}
        errors |= dates_out_of_order(self)
        if errors:
            raise ValidationError(errors)
        if self.plan_id and self.effective_from:
            if not self.plan.is_package:
                raise ValidationError(f"{self.plan} is a {self.plan.kind} plan: package terms apply to package plans only.")
            refuse_overlapping_dates(self, PackageTerms.objects.filter(plan_id=self.plan_id), "package terms")

    def as_package(self) -> PackageSnapshot:
        return PackageSnapshot(
            monthly_fee=self.monthly_fee, included_units=self.included_units,
            units_per_template={"marketing": self.units_marketing, "utility": self.units_utility,
                                "authentication": self.units_authentication},
            units_per_receptive_window=self.units_per_receptive_window,
            utility_in_window_consumes_units=self.utility_in_window_consumes_units,
            overage_per_unit=self.overage_per_unit, meta_charges=self.meta_charges,
        )


class CreditCategory(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    UTILITY = "utility", "Utility"
    AUTHENTICATION = "authentication", "Authentication"
    SERVICE = "service", "Service"
    BUSINESS_INITIATED = "business_initiated", "Business-initiated (before 2023-06-01)"
    USER_INITIATED = "user_initiated", "User-initiated (before 2023-06-01)"


class CreditUnit(models.TextChoices):
    CONVERSATION = CREDIT_PER_CONVERSATION, "Per conversation"
    MESSAGE = CREDIT_PER_MESSAGE, "Per message"


class CreditRate(models.Model):
    """Credits charged per conversation or per message for a region (Meta market name) and category, over
    dates. A plan's rows in force on a date are its credit table then: one unit for the whole table."""

    plan = models.ForeignKey(PricePlan, on_delete=models.CASCADE, related_name="credit_rates")
    effective_from = models.DateField(help_text="First day of the credit table this row belongs to.")
    effective_to = models.DateField(null=True, blank=True, help_text="Last day in force (inclusive); empty: open.")
    unit = models.CharField(
        max_length=12, choices=CreditUnit.choices, default=CreditUnit.CONVERSATION,
        help_text="What one charge of these credits is for: a conversation (24-hour, Meta's model until "
        "2025-06-30) or a message. Every row of a table in force on a date has the same unit.",
    )
    region = models.CharField(max_length=80, help_text="Meta's market name, e.g. India or Rest of Africa.")
    category = models.CharField(max_length=32, choices=CreditCategory.choices)
    credits = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Empty where the plan does not offer it (N/A)."
    )

    class Meta:
        ordering = ["plan", "effective_from", "region", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "effective_from", "region", "category"], name="one_credit_rate_per_plan_date_region_category"
            ),
            models.CheckConstraint(condition=Q(credits__isnull=True) | Q(credits__gte=0), name="credits_not_negative"),
            models.CheckConstraint(condition=Q(unit__in=[CREDIT_PER_CONVERSATION, CREDIT_PER_MESSAGE]),
                                   name="credit_unit_known"),
            dates_in_order("credit_dates_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.region} {self.category}: {self.credits if self.credits is not None else 'N/A'}"

    def clean(self) -> None:
        if self.credits is not None and self.credits < 0:
            raise ValidationError({"credits": "Must be zero or more; leave empty where the plan does not offer it."})
        if errors := dates_out_of_order(self):
            raise ValidationError(errors)
        if not (self.plan_id and self.effective_from):
            return
        siblings = CreditRate.objects.filter(plan_id=self.plan_id, region=self.region, category=self.category)
        refuse_overlap(siblings.exclude(pk=self.pk), self.effective_from, self.effective_to,
                       lambda other: f"{self.region} {self.category} already has credits for "
                                     f"{period_text(other.effective_from, other.effective_to)}, which overlaps these "
                                     "dates.")
        other_unit = CreditRate.objects.filter(plan_id=self.plan_id).exclude(pk=self.pk).exclude(unit=self.unit)
        refuse_overlap(other_unit, self.effective_from, self.effective_to,
                       lambda other: f"The credit table of {period_text(other.effective_from, other.effective_to)} "
                                     f"is {other.get_unit_display().lower()}: one table has one unit, so this row "
                                     "must be too (or start a new table after that one ends).")


class CreditMoneyPrice(models.Model):
    """What one credit of a credit plan costs in money, in one currency, over dates: entered by an admin.

    Where one is in force on a quote's date in the quote's currency, the quote shows the credits' money next
    to them (per market and in total); where none is, the quote says it is priced in credits only. Never
    derived from another currency or another date.
    """

    plan = models.ForeignKey(PricePlan, on_delete=models.CASCADE, related_name="credit_money_prices",
                             limit_choices_to={"unit": PlanUnit.CREDITS},
                             help_text="The credit plan whose credits this prices.")
    currency = models.CharField(max_length=3, help_text="The currency of the price: a quote in this currency "
                                "shows the money; a quote in another currency shows credits only. " + CURRENCY_HELP)
    price_per_credit = models.DecimalField(
        max_digits=14, decimal_places=6,
        help_text="Money for one credit, e.g. 0.0125 (up to six decimal places). Each market's money and the total "
        "are its credits times this, rounded once to the currency's minor unit.")
    effective_from = models.DateField(help_text="First day the price applies (a quote uses the price in force on "
                                      "its date).")
    effective_to = models.DateField(null=True, blank=True, help_text="Last day in force (inclusive); empty: open. "
                                    "Two prices of one currency may not share a day.")

    class Meta:
        ordering = ["plan", "currency", "effective_from"]
        verbose_name = "money price per credit"
        verbose_name_plural = "money prices per credit"
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency", "effective_from"],
                                    name="one_credit_money_price_per_plan_currency_and_date"),
            models.CheckConstraint(condition=Q(price_per_credit__gt=0), name="credit_money_price_positive"),
            dates_in_order("credit_money_price_dates_in_order"),
        ]

    def __str__(self) -> str:
        return (f"{self.plan}: 1 credit = {self.price_per_credit.normalize():f} {self.currency}, "
                f"{period_text(self.effective_from, self.effective_to)}")

    def clean(self) -> None:
        errors = {}
        if not is_currency_code(self.currency or ""):
            errors["currency"] = CURRENCY_HELP
        if self.price_per_credit is not None and self.price_per_credit <= 0:
            errors["price_per_credit"] = "Must be more than zero (a free credit is not a price)."
        errors |= dates_out_of_order(self)
        if errors:
            raise ValidationError(errors)
        if self.plan_id and self.effective_from:
            if not self.plan.is_credits:
                raise ValidationError(f"{self.plan} is a {self.plan.kind} plan: a money price per credit applies to "
                                      "credit plans only.")
            refuse_overlapping_dates(
                self, CreditMoneyPrice.objects.filter(plan_id=self.plan_id, currency=self.currency),
                f"{self.currency} price per credit")


class ExchangeRate(models.Model):
    """1 `base` = `rate` `quote`, from a date: entered by an admin, never invented.

    The rate in force on a date is the latest with effective_from on or before it. A quote that needs a
    conversion uses it (or the inverse of the opposite pair) and says so.
    """

    base = models.CharField(max_length=3, help_text=CURRENCY_HELP)
    quote = models.CharField(max_length=3, help_text=CURRENCY_HELP)
    rate = models.DecimalField(max_digits=18, decimal_places=8, help_text="How many `quote` one `base` buys.")
    effective_from = models.DateField()
    source = models.CharField(max_length=200, blank=True, help_text="Where the rate comes from; shown on quotes.")

    class Meta:
        ordering = ["base", "quote", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["base", "quote", "effective_from"], name="one_exchange_rate_per_pair_and_date"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(base=models.F("quote")), name="exchange_rate_two_currencies"),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate.normalize():f} {self.quote} from {self.effective_from.isoformat()}"

    def clean(self) -> None:
        errors = {}
        for name in ("base", "quote"):
            if not is_currency_code(getattr(self, name) or ""):
                errors[name] = CURRENCY_HELP
        if self.rate is not None and self.rate <= 0:
            errors["rate"] = "Must be more than zero."
        if not errors and self.base == self.quote:
            errors["quote"] = "Must differ from the base currency."
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class Conversion:
    """How amounts in one currency become another on a quote, and where the figure comes from."""

    base: str
    quote: str
    rate: Decimal  # multiply `base` amounts by this
    entered: ExchangeRate | None  # None when base == quote

    @property
    def needed(self) -> bool:
        return self.base != self.quote

    @property
    def inverse(self) -> bool:
        return self.entered is not None and self.entered.base != self.base

    def description(self) -> str:
        if not self.needed:
            return ""
        entered = self.entered
        how = (f"the inverse of 1 {entered.base} = {entered.rate.normalize():f} {entered.quote}" if self.inverse
               else f"1 {entered.base} = {entered.rate.normalize():f} {entered.quote}")
        source = f", source: {entered.source}" if entered.source else ""
        return f"{self.base} amounts converted to {self.quote} at {how} (in force from " \
               f"{entered.effective_from.isoformat()}{source})"


class NoExchangeRate(LookupError):
    pass


def conversion(base: str, quote: str, on: date) -> Conversion:
    """The admin's rate from base to quote in force on the date (or the inverse of quote to base)."""
    if base == quote:
        return Conversion(base, quote, Decimal(1), None)
    direct = ExchangeRate.objects.filter(base=base, quote=quote, effective_from__lte=on).order_by("-effective_from").first()
    inverse = ExchangeRate.objects.filter(base=quote, quote=base, effective_from__lte=on).order_by("-effective_from").first()
    if direct is not None and (inverse is None or direct.effective_from >= inverse.effective_from):
        return Conversion(base, quote, direct.rate, direct)
    if inverse is not None:
        return Conversion(base, quote, Decimal(1) / inverse.rate, inverse)
    raise NoExchangeRate(
        f"there is no {base} to {quote} exchange rate in force on {on.isoformat()}: an admin must enter one "
        "(Price plans > Exchange rates) before this quote can be made"
    )


CREDIT_COLUMNS = {"credits_per_conversation": CREDIT_PER_CONVERSATION, "credits_per_message": CREDIT_PER_MESSAGE}


def parse_credit_table(text: str) -> list[dict]:
    """Rows of a credit table CSV (plan,effective_from,effective_to,region,category, then
    credits_per_conversation or credits_per_message: the column says the table's unit).

    Every row is checked first; a bad row raises ValidationError naming its line.
    """
    reader = csv.DictReader(text.splitlines())
    common = {"plan", "effective_from", "effective_to", "region", "category"}
    found = set(reader.fieldnames or [])
    column = next((c for c in CREDIT_COLUMNS if found == common | {c}), None)
    if column is None:
        raise ValidationError(f"line 1: the header must be {', '.join(sorted(common))} and one of "
                              f"{' or '.join(CREDIT_COLUMNS)}")
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        try:
            credits_text = row[column].strip()
            credits = None if credits_text.upper() == "N/A" else Decimal(credits_text)
            if credits is not None and (not credits.is_finite() or credits < 0):
                raise InvalidOperation
            if row["category"] not in CreditCategory.values:
                problems.append(f"line {line}, column category: unknown category '{row['category']}'")
                continue
            rows.append(
                {
                    "plan": row["plan"].strip(),
                    "effective_from": date.fromisoformat(row["effective_from"]),
                    "effective_to": date.fromisoformat(row["effective_to"]) if row["effective_to"] else None,
                    "region": row["region"].strip(),
                    "category": row["category"],
                    "credits": credits,
                    "unit": CREDIT_COLUMNS[column],
                }
            )
        except (InvalidOperation, ValueError):
            problems.append(f"line {line}: '{row}' has a bad date or credit figure")
    if problems:
        raise ValidationError(problems)
    return rows


def load_credit_table(text: str | None = None) -> int:
    """Load a credit table (default: the shipped example) as credit plans; returns rows written."""
    rows = parse_credit_table(text if text is not None else CREDIT_TABLE.read_text(encoding="utf-8"))
    with transaction.atomic():
        plans = {}
        for name in sorted({r["plan"] for r in rows}):
            plans[name], _ = PricePlan.objects.get_or_create(
                name=name, defaults={"unit": PlanUnit.CREDITS, "notes": "Example credit table of one messaging vendor."}
            )
        CreditRate.objects.filter(plan__in=plans.values()).delete()
        CreditRate.objects.bulk_create(CreditRate(plan=plans[r.pop("plan")], **r) for r in rows)
    return len(rows)
