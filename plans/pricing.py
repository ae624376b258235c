"""A provider's price on top of Meta's, for one estimate: pure Python, Decimal, no ORM.

Three steps, each a function of frozen inputs:

1. ``derive_usage`` reads an estimate (its request, its result and the card) and says, per market, what
   a provider bills on: Meta's cost per category, charged messages, conversations, user-initiated
   ("receptive") windows and utility templates inside an open window. Where the card does not count
   something itself, it is derived from the estimate's inputs, per line, with the line's assumptions:

   - receptive windows = service / service_messages_per_conversation (every user-initiated window,
     whether Meta charges it or not);
   - utility inside the window = utility x (1 - free_entry_point) x utility_in_service_window, only
     where the card frees utility in the window (elsewhere Meta already charges them);
   - on a per-message card, conversations = charged messages / templates_per_conversation (service:
     / service_messages_per_conversation); on a conversation card, messages = charged conversations x
     those figures, i.e. the messages behind them. Meta's own counts are used as they are.

2. ``price_plan`` applies a money plan (``TermsSnapshot``, the pure form of a ``plans.models.PlanTerms``
   row): per category, Meta's cost plus the markup (percent of Meta's cost), a fee per charged message
   and per conversation; utility inside the window when the plan charges it (at the market's utility
   list rate plus the utility markup, plus the message fee); a fee per receptive window; then the
   monthly platform fee, and the discount (percent) off the whole. Meta's amounts are multiplied by ``meta_rate`` and the plan's fees by ``fee_rate``
   first, when the quote is in another currency than the card or the plan (the rates are the admin's,
   chosen by the caller).

3. ``price_package`` applies a package (``PackageSnapshot``): a monthly fee with included units; each
   template sent consumes units per category (whatever Meta charges), each receptive window its units,
   utility inside a window too when the package says so, free-form replies none; units beyond the
   included ones cost the overage price each; unused units are lost. Meta's charges are added on top or
   included in the fee, as the package says. The effective price per message is the total over every
   message sent (templates and free-form replies).

4. ``price_credits`` applies a credit table instead: credits per conversation by region (Meta's market
   name) and category. Tables before 2023-06-01 have two categories (business- and user-initiated),
   later ones four; ``None`` means the plan does not offer it (the table's ``N/A``). Where the plan has a
   money price per credit in the quote's currency, ``credits_in_money`` turns the credits into money
   (never a price the admin did not enter).

Amounts stay unrounded; the ``rounded_*`` properties round with ``round_money`` for display, each
figure from its own unrounded value (a total is never the sum of rounded parts). Credits are rounded
the same way, to two places (``CREDIT_UNIT`` has no minor unit of its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping

from calculator.engine.cards import CATEGORIES, CardSnapshot
from calculator.engine.estimate import EstimateRequest, EstimateResult
from calculator.engine.money import ZERO, round_money

ONE = Decimal(1)
HUNDRED = Decimal(100)
CREDIT_UNIT = "credits"  # round_money's default minor unit (two places) applies
MARKUP_CATEGORIES = ("marketing", "utility", "authentication", "service")
TEMPLATE_CATEGORIES = ("marketing", "utility", "authentication", "authentication_international")
LEGACY_CREDIT_CATEGORIES = ("business_initiated", "user_initiated")
CREDIT_CATEGORIES = ("marketing", "utility", "authentication", "service")


def markup_category(category: str) -> str:
    """Authentication-international takes the authentication markup."""
    return "authentication" if category == "authentication_international" else category


def _frozen(values: Mapping[str, Decimal], keys=CATEGORIES) -> Mapping[str, Decimal]:
    return MappingProxyType({key: values.get(key, ZERO) for key in keys})


@dataclass(frozen=True, slots=True)
class TermsSnapshot:
    """A money plan's terms on one date. Fees are in the plan's currency; percentages are 0-100."""

    markup_percent: Mapping[str, Decimal] = field(default_factory=dict)  # marketing, utility, authentication, service
    fee_per_message: Decimal = ZERO
    fee_per_conversation: Decimal = ZERO
    fee_per_receptive_window: Decimal = ZERO
    charge_utility_in_window: bool = False
    monthly_fee: Decimal = ZERO
    discount_percent: Decimal = ZERO

    def __post_init__(self) -> None:
        unknown = set(self.markup_percent) - set(MARKUP_CATEGORIES)
        if unknown:
            raise ValueError(f"markups are per {', '.join(MARKUP_CATEGORIES)}; unknown: {sorted(unknown)}")
        object.__setattr__(self, "markup_percent", _frozen(self.markup_percent, MARKUP_CATEGORIES))
        for name in ("fee_per_message", "fee_per_conversation", "fee_per_receptive_window", "monthly_fee"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be zero or more")
        if any(value < 0 for value in self.markup_percent.values()):
            raise ValueError("a markup must be zero or more (use the discount to sell below Meta's price)")
        if not ZERO <= self.discount_percent <= HUNDRED:
            raise ValueError("discount_percent must be from 0 to 100")

    def markup(self, category: str) -> Decimal:
        return self.markup_percent[markup_category(category)]


@dataclass(frozen=True, slots=True)
class MarketUsage:
    """What a provider bills on in one market for the month (unrounded; Meta's cost in card currency)."""

    market: str
    meta_cost: Mapping[str, Decimal]
    messages: Mapping[str, Decimal]  # charged by Meta (the messages behind charged conversations)
    conversations: Mapping[str, Decimal]
    receptive_windows: Decimal
    utility_in_window: Decimal  # utility inside an open window that Meta does not charge
    utility_rate: Decimal | None  # Meta's utility list rate in this market (card currency); None: n/a
    # Every message sent, whatever Meta charges (packages count these): templates per category outside a
    # receptive window, free-form replies as "service"; and utility templates sent inside a receptive window.
    sent: Mapping[str, Decimal] = field(default_factory=dict)
    utility_sent_in_window: Decimal = ZERO

    def __post_init__(self) -> None:
        for name in ("meta_cost", "messages", "conversations", "sent"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


@dataclass(slots=True)
class _Counts:
    messages: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, ZERO))
    conversations: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, ZERO))
    receptive_windows: Decimal = ZERO
    utility_in_window: Decimal = ZERO
    sent: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, ZERO))
    utility_sent_in_window: Decimal = ZERO


def derive_usage(card: CardSnapshot, request: EstimateRequest, result: EstimateResult) -> tuple[MarketUsage, ...]:
    """Per market of ``result`` (in its order), the usage a plan bills on (see the module's notes)."""
    rules = result.card.rules
    counts: dict[str, _Counts] = {}
    for line, resolved in zip(request.lines, result.lines):
        assumptions = line.assumptions.over(request.assumptions)
        paid = ONE - assumptions.free_entry_point
        outside = ONE - assumptions.utility_in_service_window if rules.utility_free_in_service_window else ONE
        mine = counts.setdefault(resolved.market, _Counts())
        authentication = "authentication_international" if resolved.authentication_international else "authentication"
        templates = {"marketing": line.marketing * paid, "utility": line.utility * paid * outside,
                     authentication: line.authentication * paid}
        for category, messages in templates.items():
            mine.messages[category] += messages
            mine.conversations[category] += messages / assumptions.templates_per_conversation
        if rules.service_charged:
            mine.messages["service"] += line.service * paid
            mine.conversations["service"] += line.service * paid / assumptions.service_messages_per_conversation
        mine.receptive_windows += line.service / assumptions.service_messages_per_conversation
        if rules.utility_free_in_service_window:
            mine.utility_in_window += line.utility * paid * assumptions.utility_in_service_window
        in_window = line.utility * assumptions.utility_in_service_window
        for category, messages in (("marketing", line.marketing), ("utility", line.utility - in_window),
                                   (authentication, line.authentication), ("service", line.service)):
            mine.sent[category] += messages
        mine.utility_sent_in_window += in_window
    return tuple(_market_usage(card, market, counts.get(market.market, _Counts()), rules.per_conversation)
                 for market in result.by_market)


def _market_usage(card: CardSnapshot, market, counts: _Counts, per_conversation: bool) -> MarketUsage:
    """Meta's own counts where the card has them; the other unit derived, service scaled by the allowance."""
    charged = market.charged
    own, other = (counts.conversations, counts.messages) if per_conversation else (counts.messages, counts.conversations)
    derived = {}
    for category in CATEGORIES:
        before = own[category]
        # The free allowance only lowers service; the same share of the other unit goes with it.
        share = charged[category] / before if before > 0 else ZERO
        derived[category] = other[category] * share if category == "service" else other[category]
    messages, conversations = (derived, dict(charged)) if per_conversation else (dict(charged), derived)
    return MarketUsage(
        market=market.market, meta_cost=market.by_category, messages=messages, conversations=conversations,
        receptive_windows=counts.receptive_windows, utility_in_window=counts.utility_in_window,
        utility_rate=card.rate(market.market, "utility"),
        sent=counts.sent, utility_sent_in_window=counts.utility_sent_in_window,
    )


@dataclass(frozen=True, slots=True)
class MarketPrice:
    """One market under a money plan, in the quote's currency (unrounded)."""

    market: str
    currency: str
    meta: Mapping[str, Decimal]  # Meta's cost per category
    markup: Mapping[str, Decimal]
    message_fees: Mapping[str, Decimal]
    conversation_fees: Mapping[str, Decimal]
    utility_in_window: Decimal  # what the plan charges for utility inside the window
    receptive_windows: Decimal  # the receptive-window fees

    @property
    def provider(self) -> dict[str, Decimal]:
        """The provider's price per category (utility includes the in-window charge)."""
        found = {c: self.meta[c] + self.markup[c] + self.message_fees[c] + self.conversation_fees[c] for c in CATEGORIES}
        found["utility"] += self.utility_in_window
        return found

    @property
    def meta_total(self) -> Decimal:
        return sum(self.meta.values(), ZERO)

    @property
    def provider_total(self) -> Decimal:
        return sum(self.provider.values(), ZERO) + self.receptive_windows


@dataclass(frozen=True, slots=True)
class PlanPrice:
    """A whole estimate under a money plan, in the quote's currency (unrounded)."""

    currency: str
    markets: tuple[MarketPrice, ...]
    monthly_fee: Decimal
    discount_percent: Decimal
    warnings: tuple[str, ...] = ()

    @property
    def meta_total(self) -> Decimal:
        return sum((m.meta_total for m in self.markets), ZERO)

    @property
    def usage_total(self) -> Decimal:
        """The provider's price of the messages, before the platform fee and the discount."""
        return sum((m.provider_total for m in self.markets), ZERO)

    @property
    def subtotal(self) -> Decimal:
        return self.usage_total + self.monthly_fee

    @property
    def discount(self) -> Decimal:
        return self.subtotal * self.discount_percent / HUNDRED

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    def by(self, part: str) -> dict[str, Decimal]:
        """Totals over markets of one part (``meta``, ``markup``, ``message_fees``, ...) per category."""
        totals = dict.fromkeys(CATEGORIES, ZERO)
        for market in self.markets:
            for category, amount in getattr(market, part).items():
                totals[category] += amount
        return totals

    @property
    def utility_in_window(self) -> Decimal:
        return sum((m.utility_in_window for m in self.markets), ZERO)

    @property
    def receptive_windows(self) -> Decimal:
        return sum((m.receptive_windows for m in self.markets), ZERO)

    def rounded(self, amount: Decimal) -> Decimal:
        return round_money(amount, self.currency)


def price_plan(terms: TermsSnapshot, usages: tuple[MarketUsage, ...], currency: str, *,
               meta_rate: Decimal = ONE, fee_rate: Decimal = ONE) -> PlanPrice:
    """The provider's price in ``currency``: Meta's amounts times ``meta_rate``, plan fees times ``fee_rate``."""
    if meta_rate <= 0 or fee_rate <= 0:
        raise ValueError("an exchange rate must be more than zero")
    markets, warnings = [], []
    for usage in usages:
        meta = {c: usage.meta_cost[c] * meta_rate for c in CATEGORIES}
        in_window = ZERO
        if terms.charge_utility_in_window and usage.utility_in_window > 0:
            if usage.utility_rate is None:
                warnings.append(f"{usage.market}: the card has no utility rate, so utility inside the window "
                                "is charged the message fee only")
                meta_part = ZERO
            else:
                meta_part = usage.utility_in_window * usage.utility_rate * meta_rate
            in_window = (meta_part * (ONE + terms.markup("utility") / HUNDRED)
                         + usage.utility_in_window * terms.fee_per_message * fee_rate)
        markets.append(MarketPrice(
            market=usage.market, currency=currency, meta=MappingProxyType(meta),
            markup=MappingProxyType({c: meta[c] * terms.markup(c) / HUNDRED for c in CATEGORIES}),
            message_fees=MappingProxyType({c: usage.messages[c] * terms.fee_per_message * fee_rate for c in CATEGORIES}),
            conversation_fees=MappingProxyType(
                {c: usage.conversations[c] * terms.fee_per_conversation * fee_rate for c in CATEGORIES}),
            utility_in_window=in_window,
            receptive_windows=usage.receptive_windows * terms.fee_per_receptive_window * fee_rate,
        ))
    return PlanPrice(currency=currency, markets=tuple(markets), monthly_fee=terms.monthly_fee * fee_rate,
                     discount_percent=terms.discount_percent, warnings=tuple(warnings))


# --- Packages -------------------------------------------------------------------------------------------

META_ON_TOP = "on_top"
META_INCLUDED = "included"
UNIT_CATEGORIES = ("marketing", "utility", "authentication")  # authentication-international: authentication


@dataclass(frozen=True, slots=True)
class PackageSnapshot:
    """A package plan's terms on one date: money in the plan's currency, units as the contract counts them."""

    monthly_fee: Decimal
    included_units: Decimal
    units_per_template: Mapping[str, Decimal]  # marketing, utility, authentication
    units_per_receptive_window: Decimal
    utility_in_window_consumes_units: bool
    overage_per_unit: Decimal
    meta_charges: str  # META_ON_TOP (passed through on top of the package) or META_INCLUDED

    def __post_init__(self) -> None:
        object.__setattr__(self, "units_per_template", _frozen(self.units_per_template, UNIT_CATEGORIES))
        for name in ("monthly_fee", "included_units", "units_per_receptive_window", "overage_per_unit"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be zero or more")
        if any(value < 0 for value in self.units_per_template.values()):
            raise ValueError("units per template must be zero or more")
        if self.meta_charges not in (META_ON_TOP, META_INCLUDED):
            raise ValueError(f"meta_charges is {META_ON_TOP!r} or {META_INCLUDED!r}")

    def units(self, category: str) -> Decimal:
        """Units one template of the category consumes (service: free-form replies, none)."""
        return ZERO if category == "service" else self.units_per_template[markup_category(category)]


@dataclass(frozen=True, slots=True)
class MarketUnits:
    """Units one market consumes in the month (unrounded), and what was sent there."""

    market: str
    templates: Mapping[str, Decimal]  # units per template category (authentication-international on its own)
    receptive_windows: Decimal  # units of the windows customers open
    utility_in_window: Decimal  # units of utility templates inside those windows (0 unless the plan counts them)
    messages: Decimal  # every message sent: templates and free-form replies
    meta: Decimal  # Meta's charges, in the quote's currency

    @property
    def used(self) -> Decimal:
        return sum(self.templates.values(), ZERO) + self.receptive_windows + self.utility_in_window


@dataclass(frozen=True, slots=True)
class PackagePrice:
    """A whole estimate under a package, in the quote's currency (unrounded). Units never roll over:
    the month's included units are used or lost."""

    currency: str
    markets: tuple[MarketUnits, ...]
    included_units: Decimal
    monthly_fee: Decimal
    overage_per_unit: Decimal
    meta_on_top: bool

    @property
    def used_units(self) -> Decimal:
        return sum((m.used for m in self.markets), ZERO)

    @property
    def overage_units(self) -> Decimal:
        return max(self.used_units - self.included_units, ZERO)

    @property
    def unused_units(self) -> Decimal:
        return max(self.included_units - self.used_units, ZERO)

    @property
    def overage(self) -> Decimal:
        return self.overage_units * self.overage_per_unit

    @property
    def package_total(self) -> Decimal:
        """The package's own price: the monthly fee and the overage."""
        return self.monthly_fee + self.overage

    @property
    def meta_total(self) -> Decimal:
        return sum((m.meta for m in self.markets), ZERO)

    @property
    def total(self) -> Decimal:
        return self.package_total + (self.meta_total if self.meta_on_top else ZERO)

    @property
    def messages(self) -> Decimal:
        return sum((m.messages for m in self.markets), ZERO)

    @property
    def effective_price_per_message(self) -> Decimal | None:
        """The total over every message sent (templates and free-form replies); None when nothing is sent."""
        return self.total / self.messages if self.messages > 0 else None


def package_units(terms: PackageSnapshot, usage: MarketUsage) -> dict[str, Decimal]:
    """Units per template category, the receptive windows' and utility inside them, for one market."""
    found = {c: usage.sent.get(c, ZERO) * terms.units(c) for c in TEMPLATE_CATEGORIES}
    found["receptive_windows"] = usage.receptive_windows * terms.units_per_receptive_window
    found["utility_in_window"] = (usage.utility_sent_in_window * terms.units("utility")
                                  if terms.utility_in_window_consumes_units else ZERO)
    return found


def price_package(terms: PackageSnapshot, usages: tuple[MarketUsage, ...], currency: str, *,
                  meta_rate: Decimal = ONE, fee_rate: Decimal = ONE) -> PackagePrice:
    """A package in ``currency``: the fee, the units each market consumes, the overage beyond the included
    units; Meta's charges (times ``meta_rate``) on top or included; the plan's money times ``fee_rate``."""
    if meta_rate <= 0 or fee_rate <= 0:
        raise ValueError("an exchange rate must be more than zero")
    markets = []
    for usage in usages:
        units = package_units(terms, usage)
        windows, in_window = units.pop("receptive_windows"), units.pop("utility_in_window")
        messages = sum(usage.sent.values(), ZERO) + usage.utility_sent_in_window
        markets.append(MarketUnits(usage.market, MappingProxyType(units), windows, in_window, messages,
                                   sum(usage.meta_cost.values(), ZERO) * meta_rate))
    return PackagePrice(currency=currency, markets=tuple(markets), included_units=terms.included_units,
                        monthly_fee=terms.monthly_fee * fee_rate, overage_per_unit=terms.overage_per_unit * fee_rate,
                        meta_on_top=terms.meta_charges == META_ON_TOP)


# --- Credits --------------------------------------------------------------------------------------------

CreditTable = Mapping[tuple[str, str], Decimal | None]  # (region, category) -> credits per conversation or message
CREDIT_PER_CONVERSATION = "conversation"
CREDIT_PER_MESSAGE = "message"
CREDIT_UNIT_NOUNS = {CREDIT_PER_CONVERSATION: "conversations", CREDIT_PER_MESSAGE: "messages"}


@dataclass(frozen=True, slots=True)
class CreditTerms:
    """A plan's credit table in force on a date: its unit, its first day and its rates."""

    unit: str  # CREDIT_PER_CONVERSATION or CREDIT_PER_MESSAGE
    effective_from: date
    rates: CreditTable

    def __post_init__(self) -> None:
        if self.unit not in CREDIT_UNIT_NOUNS:
            raise ValueError(f"a credit table is per {' or per '.join(CREDIT_UNIT_NOUNS)}, not {self.unit!r}")

    @property
    def noun(self) -> str:
        return CREDIT_UNIT_NOUNS[self.unit]


@dataclass(frozen=True, slots=True)
class NotPriced:
    """Conversations or messages of a market and category the table has no figure for."""

    market: str
    category: str
    count: Decimal
    reason: str  # "not_offered" (the table's N/A) or "no_row" (the table does not list it)


@dataclass(frozen=True, slots=True)
class MarketCredits:
    market: str
    conversations: Mapping[str, Decimal]  # per credit category: conversations or messages, the table's unit
    credits: Mapping[str, Decimal]  # per credit category, only where the table has a figure
    not_priced: tuple[str, ...]  # credit categories with a count but no figure (N/A or no row)

    @property
    def total(self) -> Decimal:
        return sum(self.credits.values(), ZERO)

    @property
    def rounded_credits(self) -> dict[str, Decimal]:
        return {c: round_money(v, CREDIT_UNIT) for c, v in self.credits.items()}


@dataclass(frozen=True, slots=True)
class CreditPrice:
    categories: tuple[str, ...]
    markets: tuple[MarketCredits, ...]
    warnings: tuple[str, ...]
    unit: str = CREDIT_PER_CONVERSATION
    not_priced: tuple[NotPriced, ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((m.total for m in self.markets), ZERO)

    @property
    def rounded_total(self) -> Decimal:
        return round_money(self.total, CREDIT_UNIT)


def credit_categories(table: CreditTable) -> tuple[str, ...]:
    """The table's categories: business-/user-initiated (before 2023-06-01) or the four of today."""
    if any(category in LEGACY_CREDIT_CATEGORIES for _, category in table):
        return LEGACY_CREDIT_CATEGORIES
    return CREDIT_CATEGORIES


def credit_conversations(usage: MarketUsage, categories: tuple[str, ...]) -> dict[str, Decimal]:
    """Conversations per credit category; user-initiated (service) ones are the receptive windows."""
    conversations = usage.conversations
    templates = {"marketing": conversations["marketing"], "utility": conversations["utility"],
                 "authentication": conversations["authentication"] + conversations["authentication_international"]}
    if categories == LEGACY_CREDIT_CATEGORIES:
        return {"business_initiated": sum(templates.values(), ZERO), "user_initiated": usage.receptive_windows}
    return templates | {"service": usage.receptive_windows}


def credit_messages(usage: MarketUsage, categories: tuple[str, ...]) -> dict[str, Decimal]:
    """Messages sent per credit category, whatever Meta charges: templates (utility inside a window too) and
    free-form replies as service (business- and user-initiated before 2023-06-01)."""
    sent = usage.sent
    templates = {"marketing": sent.get("marketing", ZERO),
                 "utility": sent.get("utility", ZERO) + usage.utility_sent_in_window,
                 "authentication": sent.get("authentication", ZERO) + sent.get("authentication_international", ZERO)}
    if categories == LEGACY_CREDIT_CATEGORIES:
        return {"business_initiated": sum(templates.values(), ZERO), "user_initiated": sent.get("service", ZERO)}
    return templates | {"service": sent.get("service", ZERO)}


def price_credits(table: CreditTable, usages: tuple[MarketUsage, ...],
                  unit: str = CREDIT_PER_CONVERSATION) -> CreditPrice:
    """Credits per conversation or per message (``unit``, the table's) by market and category. What the table
    does not price (N/A, or no row) is listed in ``not_priced`` with a warning, never counted as zero."""
    categories = credit_categories(table)
    noun = CREDIT_UNIT_NOUNS[unit]
    markets, warnings, missing = [], [], []
    for usage in usages:
        counts = (credit_messages if unit == CREDIT_PER_MESSAGE else credit_conversations)(usage, categories)
        credits, not_priced = {}, []
        for category, count in counts.items():
            figure = table.get((usage.market, category))
            if figure is not None:
                credits[category] = count * figure
            elif count > 0:
                not_priced.append(category)
                offered = (usage.market, category) in table
                missing.append(NotPriced(usage.market, category, count, "not_offered" if offered else "no_row"))
                why = "is not offered (N/A)" if offered else "has no row in the credit table"
                warnings.append(f"{usage.market} {category.replace('_', '-')} {why}: "
                                f"{round_money(count, CREDIT_UNIT)} {noun} are not priced in credits")
        markets.append(MarketCredits(usage.market, MappingProxyType(counts), MappingProxyType(credits),
                                     tuple(not_priced)))
    return CreditPrice(categories=categories, markets=tuple(markets), warnings=tuple(warnings), unit=unit,
                       not_priced=tuple(missing))


@dataclass(frozen=True, slots=True)
class CreditMoney:
    """A credit price in money: each market's credits and the total times the price of one credit, each
    rounded once from its unrounded credits (the total is not the sum of the rounded markets)."""

    currency: str
    per_credit: Decimal
    markets: tuple[Decimal, ...]
    total: Decimal


def credits_in_money(credits: CreditPrice, per_credit: Decimal, currency: str) -> CreditMoney:
    return CreditMoney(currency=currency, per_credit=per_credit,
                       markets=tuple(round_money(m.total * per_credit, currency) for m in credits.markets),
                       total=round_money(credits.total * per_credit, currency))
