"""Usage from Meta's webhooks: workspaces, one row per message, daily aggregates, Meta's own analytics.

A message row is written once per message id and workspace (statuses of the same message are merged as
they arrive, see `usage.store`), priced at ingest (`usage.charges`) and summed into `DailyUsage`, which is
what the dashboard reads. Money is stored as whole ten-thousandths of the currency (rates have four
decimals), so SQL sums are exact on every database; `units_to_money` turns them back into Decimals.
"""

from __future__ import annotations

from datetime import date, datetime, timezone, tzinfo
from decimal import Decimal
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone

from calculator.timezones import DEFAULT as DEFAULT_TIMEZONE
from calculator.timezones import MAX_LENGTH as TIMEZONE_LENGTH
from calculator.timezones import validate_timezone, zone
from pricing_site.encryption import EncryptedTextField

UNIT_PLACES = 4  # a charge unit is 0.0001 of the currency
CURRENCY = "USD"  # the dashboard prices usage with the USD cards (Meta bills most businesses in USD)


def units_to_money(units: int | None) -> Decimal:
    return Decimal(int(units or 0)).scaleb(-UNIT_PLACES)


def money_to_units(amount: Decimal) -> int:
    units = amount.scaleb(UNIT_PLACES)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more than {UNIT_PLACES} decimals")
    return int(units)


class Business(models.Model):
    """A business portfolio: Meta counts volume tiers across all its WhatsApp Business Accounts.

    Each workspace is one account; the workspaces of one business share their tier counts per market and
    category, each message counted in its own account's month (`usage.store.reprice_month`).
    """

    name = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "businesses"

    def __str__(self) -> str:
        return self.name


def new_verify_token() -> str:
    return secrets.token_urlsafe(24)


class Workspace(models.Model):
    """A WhatsApp Business Account whose usage is loaded; its members (and staff) see its data, nobody else does."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True, help_text="Used in addresses and by `--workspace`.")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="usage_workspaces")
    business_country = models.CharField(
        max_length=2, blank=True,
        help_text="ISO 3166 alpha-2 code of the business's primary country (for authentication-international "
                  "in what-if replays). Blank: every recipient counts as abroad.",
    )
    auth_international = models.BooleanField(
        default=False, help_text="Meta found the business eligible for authentication-international rates.",
    )
    timezone = models.CharField(
        max_length=TIMEZONE_LENGTH, default=DEFAULT_TIMEZONE, validators=[validate_timezone],
        help_text="The account's time zone (IANA name, e.g. Asia/Kolkata): Meta counts its months, volume tiers "
                  "and free service allowance in it.",
    )
    prepaid_alert_below = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("999999999999.99"))],
        help_text="Prepaid balance (USD) under which the dashboard warns and suggests a top-up. Empty: no alert.",
    )
    package_plan = models.ForeignKey(
        "plans.PricePlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="workspaces",
        limit_choices_to={"unit": "package"},
        help_text="The provider's package this account is on: the dashboard shows the month's units so far and "
                  "at the month's end.",
    )
    business = models.ForeignKey(
        Business, null=True, blank=True, on_delete=models.SET_NULL, related_name="workspaces",
        help_text="The business portfolio this account belongs to: volume tiers are counted across its accounts.",
    )
    monthly_budget = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("999999999999.99"))],
        help_text=f"What the month's messages may cost, in {CURRENCY} (the currency of the cards that price "
                  "usage). The dashboard forecasts the month's end against it and alerts when it will be passed. "
                  "Blank: no budget.",
    )
    waba_id = models.CharField(
        "WABA id", max_length=32, blank=True, validators=[RegexValidator(r"^[0-9]+$", "A WABA id is digits only.")],
        help_text="The WhatsApp Business Account's id: with an access token, Meta's pricing analytics are pulled "
                  "from the Graph API every day into the reconciliation. Blank: no pull.",
    )
    graph_access_token = EncryptedTextField(
        max_length=1024, blank=True,
        help_text="A Graph API access token with whatsapp_business_management (a system user's token). Never "
                  "shown again after saving.",
    )
    webhook_verify_token = models.CharField(
        max_length=128, default=new_verify_token,
        help_text="What Meta's webhook settings must send as the verify token (Meta's \"Verify token\").",
    )
    app_secret = EncryptedTextField(
        max_length=128, blank=True,
        help_text="The Meta app's secret (App settings, Basic): signs every webhook. Never shown again.",
    )
    app_secret_set_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_app_secret(self, secret: str) -> None:
        self.app_secret = secret
        self.app_secret_set_at = dj_timezone.now() if secret else None

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone) or timezone.utc

    def local(self, ts: int) -> datetime:
        """A Unix time as the account's local time."""
        return datetime.fromtimestamp(ts, self.tz)


class Outcome(models.TextChoices):
    """What a message amounted to: paid, free for a reason, or not a delivered business message."""

    PAID = "paid", "Paid"
    SERVICE_WINDOW = "service_window", "Free: customer service window"
    ENTRY_POINT = "entry_point", "Free: free entry point"
    ALLOWANCE = "allowance", "Free: monthly service allowance"
    UNKNOWN = "unknown", "Free: no pricing in the data"
    CONVERSATION = "conversation", "Free: in a conversation opened before 1 July 2025"
    FAILED = "failed", "Not delivered"
    INBOUND = "inbound", "From the user"


FREE_OUTCOMES = (Outcome.SERVICE_WINDOW, Outcome.ENTRY_POINT, Outcome.ALLOWANCE, Outcome.UNKNOWN,
                 Outcome.CONVERSATION)
COUNTED_OUTCOMES = (Outcome.PAID, *FREE_OUTCOMES)


class Message(models.Model):
    """One message of a workspace: a business message (from its statuses) or a user's message.

    Raw facts merged from the webhooks come first; the fields after `dirty` are computed from them
    (market, billed category, outcome, charge) and recomputed whenever the raw facts change.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="messages")
    wamid = models.CharField(max_length=200)
    inbound = models.BooleanField(default=False)
    contact = models.CharField(max_length=32, blank=True, help_text="The user's number (digits, no +).")
    phone_number_id = models.CharField(max_length=40, blank=True, help_text="The business number's id.")
    ts = models.BigIntegerField(help_text="Earliest status (or receipt) time, Unix seconds.")
    day = models.DateField()
    month = models.DateField()
    status_key = models.BigIntegerField(help_text="Latest status: time * 8 + rank, to merge in any order.")
    last_status = models.CharField(max_length=16)
    pricing_key = models.BigIntegerField(default=0, help_text="Status the pricing came from (0: none).")
    pricing_model = models.CharField(max_length=8, blank=True)
    billable = models.BooleanField(null=True)
    price_type = models.CharField(max_length=40, blank=True)
    price_category = models.CharField(max_length=40, blank=True)
    conversation_id = models.CharField(max_length=128, blank=True)
    entry_point = models.BooleanField(default=False, help_text="A user message from an ad (referral).")
    dirty = models.BooleanField(default=False, help_text="Raw facts changed since the row was priced.")
    priced_month = models.DateField()
    market = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, blank=True)
    category = models.CharField(max_length=40, blank=True, help_text="Billed category.")
    billing_type = models.CharField(max_length=40, blank=True, help_text="Meta's pricing type, or derived.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    card_id = models.IntegerField(null=True, help_text="The rate card that priced it.")
    tier = models.SmallIntegerField(null=True, help_text="Volume tier (0: list rate).")
    charge_units = models.BigIntegerField(default=0)
    list_units = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "wamid"], name="usage_message_once")]
        indexes = [
            models.Index(fields=["workspace", "month", "ts", "wamid"], name="usage_message_timeline"),
            models.Index(fields=["workspace", "month"], condition=Q(dirty=True), name="usage_message_dirty"),
        ]

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, timezone.utc)

    @property
    def charge(self) -> Decimal:
        return units_to_money(self.charge_units)


class DailyUsage(models.Model):
    """Messages and charges of one day, per market, country, category, type and outcome (from Message)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="daily_usage")
    month = models.DateField()
    day = models.DateField()
    market = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, blank=True)
    category = models.CharField(max_length=40, blank=True)
    billing_type = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    messages = models.BigIntegerField()
    charge_units = models.BigIntegerField()
    list_units = models.BigIntegerField()
    unpriced = models.BigIntegerField(default=0, help_text="Paid messages no card priced.")

    class Meta:
        indexes = [models.Index(fields=["workspace", "month", "day"], name="usage_daily_month")]


class MonthSummary(models.Model):
    """Facts about one workspace-month that the daily table does not carry, and the cached what-if."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="months")
    month = models.DateField()
    phone_number_ids = models.JSONField(default=list, help_text="Business numbers that sent messages.")
    conversation_based = models.BooleanField(default=False, help_text="Some messages have legacy CBP pricing.")
    updated_at = models.DateTimeField(auto_now=True)
    what_if = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "month"], name="usage_month_once")]
        ordering = ["-month"]

    @property
    def phone_numbers(self) -> int:
        return max(len(self.phone_number_ids), 1)


class AnalyticsPoint(models.Model):
    """One data point of Meta's `pricing_analytics` (volume and cost per country, category, type, tier)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="analytics")
    month = models.DateField()
    start = models.BigIntegerField()
    end = models.BigIntegerField()
    phone_number = models.CharField(max_length=32, blank=True)
    country = models.CharField(max_length=2, blank=True)
    pricing_type = models.CharField(max_length=40, blank=True)
    pricing_category = models.CharField(max_length=40, blank=True)
    tier = models.CharField(max_length=40, blank=True)
    volume = models.BigIntegerField()
    cost = models.DecimalField(max_digits=18, decimal_places=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "start", "end", "phone_number", "country", "pricing_type", "pricing_category",
                        "tier"],
                name="usage_analytics_point_once",
            )
        ]


class TemplateCategoryChange(models.Model):
    """Meta's `template_category_update` webhook: a template re-categorised (e.g. utility to marketing)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="category_changes")
    ts = models.BigIntegerField()
    template_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=20, blank=True)
    previous_category = models.CharField(max_length=40, blank=True)
    new_category = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "template_id", "ts", "new_category"],
                                    name="usage_category_change_once")
        ]
        ordering = ["-ts"]

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, timezone.utc)


class TierUpdate(models.Model):
    """Meta's `account_update` webhook `VOLUME_BASED_PRICING_TIER_UPDATE`: an account reached a tier.

    Meta may send the same switch more than once; duplicates (same category, region, month and tier)
    are one row, and the smallest `tier_update_time` is the switch (docs/pricing-rules.md, "Volume tiers").
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tier_updates")
    account_id = models.CharField(max_length=40, blank=True, help_text="The WhatsApp Business Account's id.")
    category = models.CharField(max_length=40, help_text="Pricing category, e.g. utility.")
    region = models.CharField(max_length=80, help_text="The market as Meta names it.")
    market = models.CharField(max_length=80, blank=True, help_text="Our market of that name (blank: unknown).")
    effective_month = models.DateField()
    tier_start = models.BigIntegerField(help_text="First message of the tier (Meta's lower bound, inclusive).")
    tier_end = models.BigIntegerField(null=True, blank=True, help_text="Last message of the tier (blank: no end).")
    tier_update_time = models.BigIntegerField(help_text="When Meta switched the tier, Unix seconds.")
    copies = models.IntegerField(default=1, help_text="How many webhooks described this switch.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "category", "region", "effective_month", "tier_start"],
                                    name="usage_tier_update_once")
        ]
        ordering = ["effective_month", "tier_update_time"]

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.tier_update_time, timezone.utc)


class IngestRun(models.Model):
    """One file loaded (by upload or by the command): what it held and what went wrong."""

    class Kind(models.TextChoices):
        WEBHOOKS = "webhooks", "Webhooks"
        ANALYTICS = "analytics", "Pricing analytics"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ingest_runs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    filename = models.CharField(max_length=255)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.WEBHOOKS)
    created_at = models.DateTimeField(auto_now_add=True)
    seconds = models.FloatField(default=0)
    lines = models.BigIntegerField(default=0)
    records = models.BigIntegerField(default=0, help_text="Statuses, messages and data points read.")
    changed = models.BigIntegerField(default=0, help_text="Message rows added or changed.")
    skipped = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first problems: line and message.")
    months = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d %H:%M})"


class AlertSent(models.Model):
    """An alert the daily digest e-mailed to a workspace's members: its key is sent once (`usage.alerts`)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alerts_sent")
    key = models.CharField(max_length=160, help_text="What the alert is about, e.g. budget:2026-11.")
    title = models.CharField(max_length=120)
    text = models.TextField()
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="usage_alert_sent_once")]
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.key} ({self.sent_at:%Y-%m-%d %H:%M})"


def month_of(day: date) -> date:
    return day.replace(day=1)


# Calls (Calling API webhooks) have their own module; imported here so Django sees the model.
from usage.calls_models import CallRecord  # noqa: E402,F401


class TopUp(models.Model):
    """Money a business prepaid (to its provider or to Meta), entered by staff: the prepaid balance's credit side."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="top_ups")
    on = models.DateField(help_text="The day the money was paid in; charges from this day on draw on it.")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("999999999999.99"))],
        help_text="How much was paid in (more than zero), in the currency below.")
    currency = models.CharField(
        max_length=3, default=CURRENCY,
        help_text="ISO 4217, e.g. USD. Another currency than the dashboard's (USD) needs an exchange rate "
                  "entered under Price plans > Exchange rates; without one the top-up is shown but not counted.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="E.g. the invoice or transfer reference.")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "-on", "-pk"]
        verbose_name = "prepaid top-up"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="usage_top_up_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.workspace} {self.on.isoformat()} {self.amount} {self.currency}"

    def clean(self) -> None:
        if self.amount is not None and self.amount <= 0:
            raise ValidationError({"amount": "A top-up is more than zero (enter a correction as a note on a new one)."})
        if not (len(self.currency or "") == 3 and self.currency.isascii() and self.currency.isalpha()
                and self.currency.isupper()):
            raise ValidationError({"currency": "ISO 4217, three capital letters, e.g. USD."})
from usage.live_models import LiveQueueState, WebhookPayload  # noqa: E402,F401
from usage.job_models import Job  # noqa: E402,F401
