"""Calling rate cards: what Meta charges a minute for business-initiated WhatsApp calls, per market.

Dated and per currency like message cards. Meta's own calling rate files were not found: the shipped
card is a reconstruction, so every row keeps its reliability and the basis it was derived from, and
both are shown wherever the card is used. A published card never changes; a new import is a draft
until a rate editor publishes it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from calculator.engine.calls import TIER_COUNT, CallingCard, CallingRate
from ratecards import catalog

RATE_DIGITS = 12
RATE_DECIMALS = 6


class CallingCardStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class CallingRateCardQuerySet(models.QuerySet):
    def in_force(self, currency: str, on: date) -> "CallingRateCard | None":
        return (self.filter(status=CallingCardStatus.PUBLISHED, currency=currency, effective_from__lte=on)
                .order_by("-effective_from").first())


class CallingRateCard(models.Model):
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. USD.")
    effective_from = models.DateField()
    status = models.CharField(max_length=12, choices=CallingCardStatus.choices, default=CallingCardStatus.DRAFT)
    reconstructed = models.BooleanField(
        default=True, help_text="Not Meta's own file (none was found): results say so and show each row's reliability.")
    source = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = CallingRateCardQuerySet.as_manager()

    class Meta:
        ordering = ["currency", "-effective_from"]
        verbose_name = "calling rate card"
        constraints = [
            models.UniqueConstraint(fields=["currency", "effective_from"], condition=Q(status="published"),
                                    name="one_published_calling_card_per_currency_and_date"),
            models.CheckConstraint(condition=Q(status__in=["draft", "published", "superseded"]),
                                   name="calling_card_status_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.currency} calling {self.effective_from.isoformat()}"

    def publish(self) -> None:
        """Publish this draft; a published calling card of the same currency and date becomes superseded."""
        with transaction.atomic():
            CallingRateCard.objects.filter(currency=self.currency, effective_from=self.effective_from,
                                           status=CallingCardStatus.PUBLISHED).update(
                status=CallingCardStatus.SUPERSEDED)
            self.status = CallingCardStatus.PUBLISHED
            self.published_at = timezone.now()
            self.save(update_fields=["status", "published_at"])
            catalog.bump()  # every process's cached calling card of this version is now stale

    def snapshot(self) -> CallingCard:
        """The engine's immutable view of this card."""
        rates = {}
        for row in self.rates.select_related("market"):
            rates[row.market.name] = row.as_rate()
        return CallingCard(self.pk, self.name, self.currency, self.effective_from, rates, self.source,
                           self.reconstructed)


class CallingMarketRate(models.Model):
    """One market's per-minute rate (the first tier's), the six tier rates where known, and how sure we are."""

    card = models.ForeignKey(CallingRateCard, on_delete=models.CASCADE, related_name="rates")
    market = models.ForeignKey("ratecards.Market", on_delete=models.PROTECT, related_name="calling_rates")
    per_minute = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True,
                                     help_text="Empty where the table has no rate (n/a).")
    tier_1 = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True)
    tier_2 = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True)
    tier_3 = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True)
    tier_4 = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True)
    tier_5 = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True)
    tier_6 = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True)
    reliability = models.CharField(max_length=80, blank=True)
    basis = models.TextField(blank=True, max_length=1000)

    class Meta:
        ordering = ["market__name"]
        constraints = [
            models.UniqueConstraint(fields=["card", "market"], name="one_calling_rate_per_market"),
            models.CheckConstraint(condition=Q(per_minute__isnull=True) | Q(per_minute__gte=0),
                                   name="calling_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.market} {self.per_minute if self.per_minute is not None else 'n/a'}"

    @property
    def ladder(self) -> tuple[Decimal, ...]:
        found = tuple(getattr(self, f"tier_{n}") for n in range(1, TIER_COUNT + 1))
        return found if all(rate is not None for rate in found) else ()

    def as_rate(self) -> CallingRate:
        return CallingRate(self.market.name, _normal(self.per_minute), tuple(_normal(r) for r in self.ladder),
                           self.reliability, self.basis)


def _normal(value: Decimal | None) -> Decimal | None:
    """Rates as the table writes them (0.0053, not 0.005300), so they print as the source does."""
    if value is None:
        return None
    if value == 0:
        return Decimal(0)
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal
