"""Sales quotes: a saved estimate with a provider's price on top, shown the same way forever.

A quote keeps what it was priced from (the request, as JSON with decimal strings), the ids of the cards
used and the computed figures (``result``, decimal strings rounded by ``round_money``). Pages, the PDF
and the CSV read only those, never the cards, so later cards or edits cannot change a quote: the
figures and who they are for are frozen at creation (``save`` refuses to change them). What may change
is the workflow: its status and its share link.
"""

from __future__ import annotations

import secrets
import string
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.roles import OwnedBySellerQuerySet
from calculator.countries import country_names
from quotes.tax import TaxRate
from ratecards.models import describe_period, refuse_overlap

REFERENCE_ALPHABET = string.ascii_lowercase + string.digits
FROZEN_FIELDS = ("owner_id", "customer", "customer_record_id", "priced_on", "currency", "meta_total", "total",
                 "credits_total", "plan_name", "request", "card_ids", "result", "tax_country", "tax_name", "tax_rate",
                 "tax_total")


def new_reference() -> str:
    return "q_" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))


def new_share_token() -> str:
    """43 characters of URL-safe base64: 256 random bits."""
    return secrets.token_urlsafe(32)


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    EXPIRED = "expired", "Expired"


class QuoteQuerySet(OwnedBySellerQuerySet):
    def with_status(self, status: str, today: date) -> "QuoteQuerySet":
        """Expired includes drafts and sent quotes whose validity has passed."""
        lapsed = Q(valid_until__lt=today, status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT])
        if status == QuoteStatus.EXPIRED:
            return self.filter(Q(status=QuoteStatus.EXPIRED) | lapsed)
        if status in (QuoteStatus.DRAFT, QuoteStatus.SENT):
            return self.filter(status=status).exclude(lapsed)
        return self.filter(status=status)

    def search(self, text: str) -> "QuoteQuerySet":
        text = text.strip()
        return self.filter(Q(customer__icontains=text) | Q(reference__iexact=text)) if text else self

    def shared(self, token: str) -> "QuoteQuerySet":
        return self.filter(share_token=token, share_revoked_at__isnull=True)


class FrozenQuoteError(Exception):
    """A saved quote's figures or customer were about to change."""


class Quote(models.Model):
    reference = models.CharField(max_length=24, unique=True, default=new_reference, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotes")
    customer = models.CharField(max_length=200, help_text="The customer's name as quoted.")
    customer_record = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="quotes",
        help_text="The customer whose price book priced the quote (empty: a name only, as before customers).")
    price_plan = models.ForeignKey("plans.PricePlan", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="quotes", help_text="The plan's terms are copied into the quote.")
    plan_name = models.CharField(max_length=100, blank=True)
    priced_on = models.DateField(help_text="The date whose cards priced the quote.")
    valid_until = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    meta_total = models.DecimalField(max_digits=20, decimal_places=2)
    total = models.DecimalField(max_digits=20, decimal_places=2, help_text="The provider's price (Meta's without a money plan).")
    credits_total = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    tax_country = models.CharField(max_length=2, blank=True,
                                   help_text="The customer's country for tax (ISO 3166 alpha-2); blank: no tax.")
    tax_name = models.CharField(max_length=20, blank=True, help_text="The tax priced with (VAT, GST...), if any.")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    tax_total = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal(0))
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    notes = models.TextField(blank=True, help_text="Internal unless marked for the customer.")
    notes_for_customer = models.BooleanField(default=False)
    request = models.JSONField(help_text="The estimate request, decimal strings.")
    calculator_query = models.TextField(blank=True)
    card_ids = models.JSONField(default=list)
    result = models.JSONField()
    share_token = models.CharField(max_length=64, unique=True, default=new_share_token, editable=False)
    share_revoked_at = models.DateTimeField(null=True, blank=True)
    duplicated_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("manage_all_quotes", "Can see and manage every sales user's quotes")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=QuoteStatus.values), name="quote_status_known"),
            models.CheckConstraint(condition=~Q(customer=""), name="quote_has_customer"),
            models.CheckConstraint(condition=Q(meta_total__gte=0) & Q(total__gte=0), name="quote_totals_not_negative"),
            models.CheckConstraint(condition=Q(tax_total__gte=0), name="quote_tax_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.customer}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = Quote.objects.filter(pk=self.pk).values(*FROZEN_FIELDS).first()
            if stored is not None:
                changed = [name for name in FROZEN_FIELDS if stored[name] != getattr(self, name)]
                if changed:
                    raise FrozenQuoteError(f"Quote {self.reference} is saved; its {', '.join(changed)} cannot change. "
                                           "Duplicate it to make a new quote.")
        super().save(*args, **kwargs)

    def shown_status(self, today: date | None = None) -> str:
        today = today or timezone.localdate()
        if self.status in (QuoteStatus.DRAFT, QuoteStatus.SENT) and self.valid_until and self.valid_until < today:
            return QuoteStatus.EXPIRED
        return self.status

    def shown_status_label(self) -> str:
        return QuoteStatus(self.shown_status()).label

    @property
    def share_active(self) -> bool:
        return self.share_revoked_at is None

    def revoke_share(self) -> None:
        if self.share_revoked_at is None:
            self.share_revoked_at = timezone.now()
            self.save(update_fields=["share_revoked_at"])

    def renew_share(self) -> None:
        """A new link; the old one stops working."""
        self.share_token = new_share_token()
        self.share_revoked_at = None
        self.save(update_fields=["share_token", "share_revoked_at"])

    def set_status(self, status: str) -> None:
        self.status = QuoteStatus(status)
        self.status_changed_at = timezone.now()
        self.save(update_fields=["status", "status_changed_at"])

    @property
    def customer_notes(self) -> str:
        """What the customer may read of the notes: nothing unless they are marked for the customer."""
        return self.notes if self.notes_for_customer else ""


# --- Taxes ------------------------------------------------------------------------------------------------


def is_country_code(text: str) -> bool:
    """An ISO 3166 alpha-2 code the site knows (calculator.countries: every region with phone numbers)."""
    return text in country_names()


def validate_country(text: str) -> None:
    if not is_country_code(text):
        raise ValidationError(f"{text!r} is not a country code: two capital letters (ISO 3166 alpha-2), e.g. DE.")


class TaxSettingQuerySet(models.QuerySet):
    def in_force(self, country: str, on: date) -> "TaxSetting | None":
        """The setting for a country on a day (at most one: periods of a country never overlap)."""
        if not country:
            return None
        return (self.filter(country=country, effective_from__lte=on)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on)).first())


class TaxSetting(models.Model):
    """A tax a customer's country charges on the provider's invoice, for a period. None ship: an admin adds
    the ones the provider must charge (README: "Taxes")."""

    country = models.CharField(max_length=2, validators=[validate_country],
                               help_text="The customer's country, ISO 3166 alpha-2 (two capital letters), e.g. DE.")
    name = models.CharField(max_length=20, help_text="As the invoice names it: VAT, GST, IVA...")
    rate = models.DecimalField(max_digits=5, decimal_places=2,
                               validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
                               help_text="Percent of the net amount, 0 to 100, e.g. 19.00.")
    effective_from = models.DateField(help_text="First day the rate applies (the quote's pricing date decides).")
    effective_to = models.DateField(null=True, blank=True, help_text="Last day it applies; blank: until changed.")

    objects = TaxSettingQuerySet.as_manager()

    class Meta:
        ordering = ["country", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "effective_from"], name="one_tax_per_country_and_date"),
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lte=100), name="tax_rate_0_to_100"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="tax_dates_in_order",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="tax_has_name"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="tax_country_two_letters"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.as_rate().label} {describe_period(self.effective_from, self.effective_to)}"

    def clean(self) -> None:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": "Must not be before the first day."})
        if self.country and self.effective_from:
            refuse_overlap(
                TaxSetting.objects.filter(country=self.country).exclude(pk=self.pk),
                self.effective_from, self.effective_to,
                lambda other: f"{self.country} already has {other.as_rate().label} "
                              f"{describe_period(other.effective_from, other.effective_to)}, which overlaps these "
                              "dates: end that setting (its last day) before this one starts.")

    def as_rate(self) -> TaxRate:
        return TaxRate(self.country, self.name, self.rate, self.effective_from)
