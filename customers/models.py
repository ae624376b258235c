"""Customers: who a quote is for, with their own price book (a default price plan and overrides).

A customer is known by a stable public id ``cus_`` + 16 URL-safe random characters (96 random bits),
used in URLs and by the API (``"customer": "cus_..."``). Who sees a customer follows the quotes' rules
(``accounts/roles.py``): sales managers every customer, sales users the customers they own, anyone else
none. This app does not import quotes (quotes import it).
"""

from __future__ import annotations

import secrets
from decimal import Decimal

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.roles import OwnedBySellerQuerySet
from customers.terms import OVERRIDE_NAMES, TermsOverrides, plan_refuses_overrides
from plans.models import CURRENCY_HELP, is_currency_code
from plans.pricing import MARKUP_CATEGORIES

ID_PREFIX = "cus_"
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)  # ISO 3166 alpha-2 codes (phonenumbers' region list)


def new_public_id() -> str:
    """cus_ + 16 URL-safe base64 characters: 96 random bits."""
    return ID_PREFIX + secrets.token_urlsafe(12)


class CustomerQuerySet(OwnedBySellerQuerySet):
    def search(self, text: str) -> "CustomerQuerySet":
        text = text.strip()
        return self.filter(Q(name__icontains=text) | Q(public_id__iexact=text)) if text else self


def _percent(label: str) -> models.DecimalField:
    return models.DecimalField(
        max_digits=7, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))],
        help_text=f"{label} Empty: the plan's.")


def _money(label: str) -> models.DecimalField:
    return models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("99999999"))],
        help_text=f"{label} In the plan's currency. Empty: the plan's.")


class Customer(models.Model):
    public_id = models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166 two letters, e.g. IN or DE.")
    currency = models.CharField(max_length=3, help_text="Quotes for this customer are in it unless chosen otherwise. "
                                + CURRENCY_HELP)
    billing_email = models.EmailField(max_length=254, blank=True)
    notes = models.TextField(blank=True, max_length=5000, help_text="Internal; never shown on a quote.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customers")
    workspace = models.ForeignKey("usage.Workspace", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="customers",
                                  help_text="The customer's WhatsApp account here, for its usage.")
    price_plan = models.ForeignKey(
        "plans.PricePlan", null=True, blank=True, on_delete=models.PROTECT, related_name="customers",
        help_text="The plan quotes for this customer use unless another is chosen. Overrides need a money plan.")
    markup_marketing = _percent("Percent of Meta's marketing cost added.")
    markup_utility = _percent("Percent of Meta's utility cost added.")
    markup_authentication = _percent("Percent of Meta's authentication cost added (also international).")
    markup_service = _percent("Percent of Meta's service cost added.")
    fee_per_message = _money("Per message Meta charges.")
    discount_percent = models.DecimalField(
        max_digits=7, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Percent off the whole price, platform fee included. Empty: the plan's.")
    monthly_fee = _money("Monthly platform fee.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="customer_has_name"),
            models.CheckConstraint(condition=Q(discount_percent__isnull=True)
                                   | Q(discount_percent__gte=0, discount_percent__lte=100),
                                   name="customer_discount_0_to_100"),
            *[models.CheckConstraint(condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}),
                                     name=f"customer_{name}_not_negative")
              for name in OVERRIDE_NAMES if name != "discount_percent"],
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"

    @property
    def overrides(self) -> TermsOverrides:
        return TermsOverrides(
            markup_percent={c: getattr(self, f"markup_{c}") for c in MARKUP_CATEGORIES},
            fee_per_message=self.fee_per_message, discount_percent=self.discount_percent,
            monthly_fee=self.monthly_fee)

    def clean(self) -> None:
        errors = {}
        self.name = (self.name or "").strip()
        if not self.name:
            errors["name"] = "Name the customer, e.g. Acme Ltd."
        self.country = (self.country or "").strip().upper()
        if self.country not in COUNTRIES:
            errors["country"] = "Two letters of ISO 3166, e.g. IN, DE or BR."
        self.currency = (self.currency or "").strip().upper()
        if not is_currency_code(self.currency):
            errors["currency"] = CURRENCY_HELP
        if errors:
            raise ValidationError(errors)
        try:
            overrides = self.overrides
        except ValueError:  # out of bounds: the field's own validators say which
            return
        plan = self.price_plan if self.price_plan_id else None
        refused = plan_refuses_overrides(plan.kind if plan else "", overrides)
        if refused:
            raise ValidationError({"price_plan": f"{plan.name if plan else 'No plan'}: {refused}."})
