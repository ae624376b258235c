"""Meta Business Agent: messages written by Meta's own AI agent, billed per token (docs/pricing-rules.md).

The rate is not on the rate cards: it is a dated rate per million tokens per currency, kept by admins
(ratecards.AgentTokenRate) and handed to the engine as plain ``AgentRate`` values. No window makes
these messages free. Before Meta bills them at all (the earliest rate's date in any currency) they
cost nothing and the result says so; a currency that has no rate while Meta bills them is warned
about and left out of the total: a figure is never invented (no conversion from another currency).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .cards import latest_in_force
from .money import ZERO
from .vocabulary import exact_count_text

MILLION = Decimal(1_000_000)
LABEL = "Meta Business Agent"


@dataclass(frozen=True, slots=True)
class AgentRate:
    """From ``effective_from`` on, ``per_million`` of ``currency`` per million tokens."""

    currency: str
    effective_from: date
    per_million: Decimal


@dataclass(frozen=True, slots=True)
class AgentCharge:
    """What a month's agent tokens cost under one date and currency.

    ``amount`` is None when Meta bills the tokens but the currency has no rate: the figure is unknown,
    not zero. ``note`` explains a zero before billing started; ``warning`` a missing rate.
    """

    tokens: Decimal
    currency: str
    on: date
    rate: AgentRate | None
    amount: Decimal | None
    note: str = ""
    warning: str = ""

    @property
    def status(self) -> str:
        """"priced", "not_billed_yet" (before Meta billed tokens) or "no_rate" (no rate in the currency)."""
        if self.rate is not None:
            return "priced"
        return "no_rate" if self.amount is None else "not_billed_yet"


def agent_charge(tokens: Decimal, currency: str, on: date, rates: tuple[AgentRate, ...]) -> AgentCharge:
    """The month's cost of ``tokens`` on a date in a currency, from the dated rates of every currency."""
    rate = latest_in_force((r for r in rates if r.currency == currency), on)
    if rate is not None:
        return AgentCharge(tokens, currency, on, rate, tokens * rate.per_million / MILLION)
    if not rates:
        return AgentCharge(tokens, currency, on, None, None,
                           warning=f"{LABEL}: no rate per million tokens is entered for any currency; "
                                   f"{exact_count_text(tokens)} tokens are not in the total")
    started = [r for r in rates if r.effective_from <= on]
    if not started:
        first = min(rates, key=lambda r: r.effective_from)
        return AgentCharge(tokens, currency, on, None, ZERO,
                           note=f"{LABEL}: {exact_count_text(tokens)} tokens cost nothing on {on.isoformat()} "
                                f"(Meta bills them from {first.effective_from.isoformat()})")
    first = min(started, key=lambda r: r.effective_from)
    known = ", ".join(sorted({r.currency for r in started}))
    return AgentCharge(
        tokens, currency, on, None, None,
        warning=(f"{LABEL}: no {currency} rate per million tokens on {on.isoformat()} (Meta bills them since "
                 f"{first.effective_from.isoformat()}; rates are entered for {known}); {exact_count_text(tokens)} "
                 "tokens are not in the total"),
    )
