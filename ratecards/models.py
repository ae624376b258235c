"""Markets, dated country-to-market mapping rules, rate cards with their rates, tiers and rules.

What must always hold is a database constraint; what needs several rows or a message for a person
is in `clean()` and in the importer, which validates a whole file before writing anything.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from calculator.engine.cards import latest_in_force
from calculator.engine.markets import MappingRule

RATE_MAX_DIGITS = 12
RATE_DECIMALS = 4


class Category(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    UTILITY = "utility", "Utility"
    AUTHENTICATION = "authentication", "Authentication"
    AUTHENTICATION_INTERNATIONAL = "authentication_international", "Authentication-International"
    SERVICE = "service", "Service"


TIERED_CATEGORIES = (Category.UTILITY, Category.AUTHENTICATION, Category.AUTHENTICATION_INTERNATIONAL)


class Market(models.Model):
    """What a recipient is billed as: a country with its own rates, or a region such as Other."""

    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MappingRuleQuerySet(models.QuerySet):
    def in_force(self, on: date) -> "MappingRuleQuerySet":
        return self.filter(
            Q(effective_from__isnull=True) | Q(effective_from__lte=on),
            Q(effective_to__isnull=True) | Q(effective_to__gte=on),
        )


class MarketMapping(models.Model):
    """One row of Meta's calling-code table: numbers starting with `prefix` are billed as `market`."""

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="mapping_rules")
    country = models.CharField(max_length=80, help_text="Country name, as Meta's table writes it.")
    iso2 = models.CharField("ISO country", max_length=2, help_text="ISO 3166 alpha-2 code, e.g. DO.")
    calling_code = models.CharField(max_length=4, help_text="Country calling code without +, e.g. 1.")
    prefix = models.CharField(
        max_length=10, help_text="Digits after + to match, e.g. 1809. The longest matching prefix wins."
    )
    effective_from = models.DateField(null=True, blank=True, help_text="First day in force (inclusive).")
    effective_to = models.DateField(null=True, blank=True, help_text="Last day in force (inclusive).")
    note = models.CharField(max_length=200, blank=True)

    objects = MappingRuleQuerySet.as_manager()

    class Meta:
        ordering = ["prefix", "effective_from"]
        verbose_name = "mapping rule"
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_from__isnull=True)
                | Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="mapping_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"+{self.prefix} → {self.market} ({self.iso2})"

    def clean(self) -> None:
        errors = {}
        if not self.prefix.isdigit():
            errors["prefix"] = "Digits only, without + (e.g. 1809)."
        elif self.calling_code and not self.prefix.startswith(self.calling_code):
            errors["prefix"] = f"Must start with the calling code {self.calling_code}."
        if not (self.calling_code.isdigit() and 1 <= len(self.calling_code) <= 3):
            errors["calling_code"] = "One to three digits, without +."
        if not (len(self.iso2) == 2 and self.iso2.isalpha() and self.iso2.isupper()):
            errors["iso2"] = "Two capital letters (ISO 3166 alpha-2)."
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = "Must not be before the first day."
        if errors:
            raise ValidationError(errors)
        refuse_overlap(MarketMapping.objects.filter(prefix=self.prefix).exclude(pk=self.pk),
                       self.effective_from, self.effective_to,
                       lambda other: f"Prefix {self.prefix} is already mapped to {other.market} "
                                     f"{describe_period(other.effective_from, other.effective_to)}, which shares days "
                                     "with this rule. To move the country to another market from a date, use \"Move a "
                                     "country to another market\" on the mapping rules page: it ends that rule the day "
                                     "before and starts the new one.")

    def as_rule(self) -> MappingRule:
        return MappingRule(
            market=self.market.name, iso2=self.iso2, country=self.country, calling_code=self.calling_code,
            prefix=self.prefix, effective_from=self.effective_from, effective_to=self.effective_to,
        )


def describe_period(start: date | None, end: date | None) -> str:
    """A rule's days in words: "since always, with no end", "from 2026-10-01 to 2026-12-31"."""
    begins = f"from {start.isoformat()}" if start else "since always"
    ends = f"to {end.isoformat()}" if end else "with no end"
    return f"{begins}, {ends}" if not (start and end) else f"{begins} {ends}"


def refuse_overlap(rows: Iterable, start: date | None, end: date | None, message: Callable[[Any], str]) -> None:
    """Refuse (ValidationError, saying ``message(row)``) a period that shares a day with one of the dated
    rows (effective_from, effective_to)."""
    other = next((row for row in rows if periods_overlap(start, end, row.effective_from, row.effective_to)), None)
    if other is not None:
        raise ValidationError(message(other))


def periods_overlap(a_from: date | None, a_to: date | None, b_from: date | None, b_to: date | None) -> bool:
    """Whether two dated periods share a day; an open start or end (None) reaches as far as dates go."""
    lo = max(a_from or date.min, b_from or date.min)
    hi = min(a_to or date.max, b_to or date.max)
    return lo <= hi


class PricingModel(models.TextChoices):
    CONVERSATION = "conversation", "Per conversation"
    MESSAGE = "message", "Per message"


class FreeServiceScope(models.TextChoices):
    NONE = "", "No allowance"
    PHONE_NUMBER = "phone_number", "Per business phone number"
    BUSINESS_ACCOUNT = "business_account", "Per business account"


class CardStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded by a correction"


class RateCardQuerySet(models.QuerySet):
    def published(self) -> "RateCardQuerySet":
        return self.filter(status=CardStatus.PUBLISHED)

    def in_force(self, currency: str, on: date) -> "RateCard | None":
        """The card of the currency in force on the date (`latest_in_force`)."""
        return latest_in_force(self.published().filter(currency=currency, effective_from__lte=on), on)


# Sent with `card=` once a card's publication is committed (impact/ mails the people it concerns).
card_published = Signal()


class RateCard(models.Model):
    """Meta's prices for one currency from one date, and the rules they are applied with.

    A published card never changes: corrections are a new draft copied from it, and publishing that
    draft marks this one superseded.
    """

    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. USD.")
    effective_from = models.DateField()
    pricing_model = models.CharField(max_length=12, choices=PricingModel.choices)
    status = models.CharField(max_length=12, choices=CardStatus.choices, default=CardStatus.DRAFT)

    # The rules of the card (see docs/pricing-rules.md): settings an admin can change, never derived from the date.
    conversation_hours = models.PositiveSmallIntegerField(default=24, help_text="Conversation-based cards only.")
    service_window_hours = models.PositiveSmallIntegerField(default=24)
    free_entry_point_hours = models.PositiveSmallIntegerField(default=72)
    utility_free_in_service_window = models.BooleanField(
        default=False, help_text="Utility templates delivered inside an open customer service window are free."
    )
    service_charged = models.BooleanField(default=False, help_text="Free-form (service) messages are charged.")
    free_service_allowance = models.PositiveIntegerField(
        default=0, help_text="Free service messages (or conversations) per month before charging."
    )
    free_service_scope = models.CharField(
        max_length=20, choices=FreeServiceScope.choices, blank=True, default=FreeServiceScope.NONE
    )
    volume_tiers = models.BooleanField(default=False, help_text="Utility and authentication volume tiers apply.")

    source = models.CharField(max_length=300, blank=True, help_text="Where the figures come from.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies")

    objects = RateCardQuerySet.as_manager()

    class Meta:
        ordering = ["currency", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "effective_from"],
                condition=Q(status="published"),
                name="one_published_card_per_currency_and_date",
            ),
            models.CheckConstraint(
                condition=Q(pricing_model__in=["conversation", "message"]), name="card_pricing_model_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "superseded"]), name="card_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(free_service_allowance__gt=0) | ~Q(free_service_scope=""),
                name="allowance_has_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.currency} {self.effective_from.isoformat()}"

    @property
    def is_published(self) -> bool:
        return self.status != CardStatus.DRAFT

    def clean(self) -> None:
        errors = {}
        if not (len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()):
            errors["currency"] = "Three capital letters (ISO 4217), e.g. USD."
        if self.free_service_allowance and not self.free_service_scope:
            errors["free_service_scope"] = "Say what the free allowance is counted per."
        if self.volume_tiers and self.pricing_model == PricingModel.CONVERSATION:
            errors["volume_tiers"] = "Volume tiers apply to per-message cards only."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        # Pop first: Model.save() does not know the keyword, even for a card that is not saved yet.
        allow_published_change = kwargs.pop("allow_published_change", False)
        if self.pk and not allow_published_change:
            stored = RateCard.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored in (CardStatus.PUBLISHED, CardStatus.SUPERSEDED):
                raise PublishedCardError(f"{self} is published and cannot be changed; make a new draft from it.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise PublishedCardError(f"{self} is published and cannot be deleted.")
        return super().delete(*args, **kwargs)

    def rules_dict(self) -> dict:
        return {field: getattr(self, field) for field in RULE_FIELDS}

    def publish(self) -> None:
        """Publish this draft; a published card of the same currency and date becomes superseded."""
        if self.status != CardStatus.DRAFT:
            raise PublishedCardError(f"{self} is already published.")
        problems = self.completeness_problems()
        if problems:
            raise ValidationError(problems)
        with transaction.atomic():
            RateCard.objects.filter(
                currency=self.currency, effective_from=self.effective_from, status=CardStatus.PUBLISHED
            ).update(status=CardStatus.SUPERSEDED)
            self.status = CardStatus.PUBLISHED
            self.published_at = timezone.now()
            super().save(update_fields=["status", "published_at"])
            transaction.on_commit(lambda: card_published.send(sender=RateCard, card=self))

    def new_draft(self) -> "RateCard":
        """A draft copy (rules, rates, tiers) to correct a published card."""
        with transaction.atomic():
            draft = RateCard.objects.get(pk=self.pk)
            draft.pk = None
            draft.status = CardStatus.DRAFT
            draft.published_at = None
            draft.copied_from = self
            draft.notes = f"Correction of {self} (card #{self.pk}).\n{self.notes}".strip()
            super(RateCard, draft).save(force_insert=True)
            Rate.objects.bulk_create(
                Rate(card=draft, market_id=r.market_id, category=r.category, rate=r.rate) for r in self.rates.all()
            )
            VolumeTier.objects.bulk_create(
                VolumeTier(
                    card=draft, market_id=t.market_id, category=t.category, start=t.start, rate=t.rate,
                    vs_list_rate=t.vs_list_rate,
                )
                for t in self.tiers.all()
            )
        return draft

    def completeness_problems(self) -> list[str]:
        """What keeps this card from being priced: every market the mapping uses on its date needs rates."""
        needed = set(
            MarketMapping.objects.in_force(self.effective_from).values_list("market__name", flat=True)
        ) | {"Other"}
        priced = set(self.rates.values_list("market__name", flat=True))
        missing = sorted(needed - priced)
        return [f"No rates for market {name}." for name in missing]


RULE_FIELDS = (
    "pricing_model",
    "conversation_hours",
    "service_window_hours",
    "free_entry_point_hours",
    "utility_free_in_service_window",
    "service_charged",
    "free_service_allowance",
    "free_service_scope",
    "volume_tiers",
)


class PublishedCardError(Exception):
    """A published card was about to change."""


class ChildOfDraftMixin:
    """Rates and tiers belong to their card: they change only while it is a draft."""

    def _refuse_if_published(self) -> None:
        if RateCard.objects.filter(pk=self.card_id).exclude(status=CardStatus.DRAFT).exists():
            raise PublishedCardError("The card is published; its rates and tiers cannot change.")

    def save(self, *args, **kwargs):
        self._refuse_if_published()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_published()
        return super().delete(*args, **kwargs)


class Rate(ChildOfDraftMixin, models.Model):
    card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="rates")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="rates")
    category = models.CharField(max_length=32, choices=Category.choices)
    rate = models.DecimalField(
        max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True,
        help_text="Empty where Meta has no rate (n/a).",
    )

    class Meta:
        ordering = ["market__name", "category"]
        constraints = [
            models.UniqueConstraint(fields=["card", "market", "category"], name="one_rate_per_card_market_category"),
            models.CheckConstraint(condition=Q(rate__isnull=True) | Q(rate__gte=0), name="rate_not_negative"),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in Category]), name="rate_category_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.market} {self.category}: {self.rate if self.rate is not None else 'n/a'}"


class VolumeTier(ChildOfDraftMixin, models.Model):
    """One step of a graduated volume tier: from message `start` of the month on, `rate` applies.

    Only the start is stored (Meta's "From"); a tier ends where the next one starts, and the last is
    open. So tiers of one market and category are contiguous and cannot overlap by construction.
    The first tier starts at 0 (Meta writes "0 - 100,000" for the first 100,000 messages).
    """

    card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="tiers")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="tiers")
    category = models.CharField(max_length=32, choices=[(c.value, c.label) for c in TIERED_CATEGORIES])
    start = models.PositiveBigIntegerField(help_text="First message of the month at this rate (Meta's 'From').")
    rate = models.DecimalField(max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMALS)
    # Meta's own "vs. List rate" label (e.g. -5 %). Meta computes it from unrounded rates, so it cannot be
    # recomputed from the four-decimal rates (0.0008 vs 0.0008 is Meta's "-5%"): kept for a faithful export.
    vs_list_rate = models.DecimalField(
        "vs. list rate (%)", max_digits=6, decimal_places=2, null=True, blank=True,
        help_text="Meta's 'vs. List rate' column, in percent; shown only, never used to price.",
    )

    class Meta:
        ordering = ["market__name", "category", "start"]
        constraints = [
            models.UniqueConstraint(fields=["card", "market", "category", "start"], name="one_tier_per_start"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="tier_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in TIERED_CATEGORIES]), name="tier_category_tiered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.market} {self.category} from {self.start:,}: {self.rate}"


class AgentTokenRate(models.Model):
    """What Meta charges for messages written by its own AI agent (Meta Business Agent), per currency and
    date: not on the rate cards, so a dated setting of its own. No window makes these messages free."""

    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. USD: the rate applies to estimates "
                                                        "in this currency only (never converted).")
    effective_from = models.DateField(help_text="First day this rate applies (inclusive); it applies until the next "
                                                "rate of the same currency starts.")
    per_million_tokens = models.DecimalField(
        "rate per million tokens", max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMALS,
        help_text="What Meta charges per 1,000,000 tokens its agent writes, e.g. 2.00 (USD from 2026-08-01).",
    )
    source = models.CharField(max_length=300, blank=True, help_text="Where the figure comes from.")

    class Meta:
        ordering = ["currency", "-effective_from"]
        verbose_name = "Meta Business Agent rate"
        constraints = [
            models.UniqueConstraint(fields=["currency", "effective_from"], name="one_agent_rate_per_currency_and_date"),
            models.CheckConstraint(condition=Q(per_million_tokens__gte=0), name="agent_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.per_million_tokens} per million tokens from {self.effective_from.isoformat()}"

    def clean(self) -> None:
        if not (len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()):
            raise ValidationError({"currency": "Three capital letters (ISO 4217), e.g. USD."})


class SeedRecord(models.Model):
    """Which pieces of the shipped default data were loaded, so a later migrate never reloads
    something an admin deliberately deleted; and which version of them, so that a release shipping
    corrected data corrects a deployed site (see ratecards.defaults)."""

    name = models.CharField(max_length=100, unique=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    version = models.CharField(
        max_length=64, blank=True, help_text="Fingerprint of the shipped files loaded; empty: loaded by a release "
        "that kept none."
    )
    card = models.ForeignKey(
        RateCard, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The card this piece loaded: a later shipped correction supersedes this card only.",
    )

    def __str__(self) -> str:
        return self.name


class CatalogVersion(models.Model):
    """One row whose token changes, in the same transaction, whenever markets, mappings or cards change.

    Every process caches snapshots of cards and mappings keyed by this token, so a change made in the
    admin by one process is seen by all the others on their next request, and a request never mixes
    an old card with a new one. A random token (not a counter) also survives `flush` in tests.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.token


# Calling rate cards (Calling API minutes) live in their own module; imported here so Django sees them.
from ratecards.calling_models import CallingMarketRate, CallingRateCard  # noqa: E402,F401
