"""What the parsed files mean, checked against the database before anything is written: known markets,
every market the mapping needs, tiers without gaps that start at the list rate; and the card's rules."""

from __future__ import annotations

import difflib
from datetime import date

from django.core.exceptions import ValidationError

from ratecards.importer.layout import OTHER, Problem, meta_date
from ratecards.importer.parsing import ParsedRates, ParsedTiers, RateRow, TierBlock, TierStep, name_sheet
from ratecards.models import (
    RULE_FIELDS,
    CardStatus,
    Category,
    FreeServiceScope,
    Market,
    MarketMapping,
    PricingModel,
    RateCard,
)

MARKET_HINTS = 20  # unknown market names per file that get a "did you mean"

# --- Validation -----------------------------------------------------------------------------------------


def validate(rates: ParsedRates, tiers: ParsedTiers | None = None, *, currency: str | None = None,
             effective_from: date | None = None) -> list[Problem]:
    """Every problem of the two files (form and meaning), in file and line order. Empty: importable.

    `currency` and `effective_from` default to the rates file's title."""
    problems, _ = _validate(rates, tiers, currency or rates.currency, effective_from or rates.effective_from)
    return problems


def _validate(rates: ParsedRates, tiers: ParsedTiers | None, currency: str | None,
              effective_from: date | None) -> tuple[list[Problem], dict[str, int]]:
    """The problems, and every market's id by name (the write needs them)."""
    market_ids = dict(Market.objects.values_list("name", "id"))
    if tiers is not None and rates.wrong_kind and tiers.wrong_kind:
        return [Problem(None, None, f"the two files are swapped: {rates.filename} is the volume tiers file and "
                        f"{tiers.filename} the rates file; give each in its own field")], market_ids
    rate_problems = list(rates.problems)
    if rates.readable:
        rate_problems += _identity_problems(rates, currency, effective_from)
    rate_problems += _rate_row_problems(rates, currency, market_ids)
    if effective_from is not None and rates.rows:
        rate_problems += _missing_market_problems(rates, effective_from)
    tier_problems: list[Problem] = []
    if tiers is not None:
        other_card = _tier_title_problems(rates, tiers, currency, effective_from)
        if other_card:
            # A tiers file of another card (currency, date or model): one clear message, not one per row.
            tier_problems = other_card
        else:
            tier_problems = list(tiers.problems) + _tier_block_problems(rates, tiers, currency, market_ids)
    name_sheet(rate_problems, rates.filename, rates.sheet)
    if tiers is not None:
        name_sheet(tier_problems, tiers.filename, tiers.sheet)
    return _in_order(rate_problems) + _in_order(tier_problems), market_ids


def _in_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line or 0)


def _identity_problems(rates: ParsedRates, currency: str | None, effective_from: date | None) -> list[Problem]:
    problems = []
    title = rates.title
    line = title.line if title else None
    # An unreadable title is already reported by parse_rates: do not report it twice.
    if currency is None:
        if not (title and title.currency is None):
            problems.append(Problem(line, None, "no currency: the file has no title line naming it (e.g. 'Cost "
                                    "per message in USD ...'); give the currency", rates.filename))
    elif not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        problems.append(Problem(line, None, f"currency '{currency}' is not three capital letters (ISO 4217, "
                                "e.g. USD)", rates.filename))
    if effective_from is None and not (title and (title.currency is None or title.date_text)):
        problems.append(Problem(line, None, "no effective date: the title line does not give one (e.g. "
                                "'effective April 1, 2026'); give the date", rates.filename))
    return problems


def _rate_row_problems(rates: ParsedRates, currency: str | None, market_ids: dict[str, int]) -> list[Problem]:
    problems = []
    first_line: dict[str, int] = {}
    hint = _MarketHints(market_ids)
    for row in rates.rows:
        problems += _market_problems(row.line, row.market, market_ids, rates.filename, hint)
        if row.market in first_line:
            problems.append(Problem(row.line, "Market", f"{row.market} appears twice (first on line "
                                    f"{first_line[row.market]})", rates.filename))
        else:
            first_line[row.market] = row.line
        if currency and row.currency != currency:
            problems.append(Problem(row.line, "Currency", f"'{row.currency}', but the card is in {currency}",
                                    rates.filename))
    return problems


class _MarketHints:
    """'Did you mean' for unknown market names, for the first MARKET_HINTS of a file only: difflib
    against every market costs ~1 ms a name, so a file of 200,000 unknown names spent minutes (past the
    worker's timeout) on suggestions nobody reads. Names longer than any market's get none."""

    def __init__(self, market_ids: dict[str, int]):
        self.market_ids = market_ids
        self.left = MARKET_HINTS
        self.longest = max(map(len, market_ids), default=0) + 3

    def __call__(self, name: str) -> str:
        if self.left <= 0 or len(name) > self.longest:
            return ""
        self.left -= 1
        hint = difflib.get_close_matches(name, self.market_ids, n=1)
        return f" (did you mean {hint[0]}?)" if hint else ""


def _market_problems(line: int, name: str, market_ids: dict[str, int], filename: str,
                     hint: _MarketHints) -> list[Problem]:
    if name in market_ids:
        return []
    return [Problem(line, "Market", f"unknown market '{name[:80]}'{hint(name)}; markets are added under "
                    "Rate cards and markets > Markets", filename)]


def _missing_market_problems(rates: ParsedRates, effective_from: date) -> list[Problem]:
    """A card must price every market the mapping bills numbers as on its date, and Other."""
    needed = set(MarketMapping.objects.in_force(effective_from).values_list("market__name", flat=True))
    priced = {row.market for row in rates.rows}
    problems = []
    for name in sorted(needed - priced):
        problems.append(Problem(None, "Market", f"no row for {name}: on {effective_from} numbers are billed as "
                                f"{name}, so the card must price it", rates.filename))
    if OTHER not in priced:
        problems.append(Problem(None, "Market", f"no row for {OTHER}: every card prices {OTHER}, the market of "
                                "every number not in the mapping", rates.filename))
    return problems


def _tier_title_problems(rates: ParsedRates, tiers: ParsedTiers, currency: str | None,
                         effective_from: date | None) -> list[Problem]:
    """The tiers file must belong to the same card as the rates file."""
    if tiers.title is None:
        return []
    problems = []
    line = tiers.title.line
    want_currency = rates.currency or currency
    want_date = rates.effective_from or effective_from
    differences = []
    if tiers.currency and want_currency and tiers.currency != want_currency:
        differences.append(f"is in {tiers.currency}, the rates file in {want_currency}")
    if tiers.effective_from and want_date and tiers.effective_from != want_date:
        differences.append(f"is effective {meta_date(tiers.effective_from)}, the rates file {meta_date(want_date)}")
    if differences:
        problems.append(Problem(line, None, f"this is the tiers file of another card: it {' and '.join(differences)}; "
                                "choose the tiers file published with this rates file (nothing else in it was "
                                "checked)", tiers.filename))
    if rates.pricing_model == PricingModel.CONVERSATION:
        problems.append(Problem(line, None, "the rates file is a conversation-based card ('Cost per "
                                "conversation'), which has no volume tiers", tiers.filename))
    return problems


def _tier_block_problems(rates: ParsedRates, tiers: ParsedTiers, currency: str | None,
                         market_ids: dict[str, int]) -> list[Problem]:
    filename = tiers.filename
    rate_rows = {row.market: row for row in rates.rows}
    # Without readable rate rows (reported on the rates file) the files cannot be compared.
    linked = bool(rate_rows)
    problems = []
    first_line: dict[str, int] = {}
    hint = _MarketHints(market_ids)
    for block in tiers.blocks:
        problems += _market_problems(block.line, block.market, market_ids, filename, hint)
        if block.market in first_line:
            problems.append(Problem(block.line, "Market", f"{block.market} appears twice (first on line "
                                    f"{first_line[block.market]})", filename))
            continue
        first_line[block.market] = block.line
        if currency:
            problems += [Problem(row.line, "Currency", f"'{row.currency}', but the card is in {currency}", filename)
                         for row in block.currencies if row.currency != currency]
        rate_row = rate_rows.get(block.market)
        if not linked or block.damaged:
            continue  # the reasons are reported already; checking the rest would only echo them
        if rate_row is None:
            if block.market in market_ids:
                problems.append(Problem(block.line, "Market", f"tiers for {block.market}, which is not in the "
                                        "rates file", filename))
            continue
        for category, steps in block.tiers.items():
            problems += _step_problems(block, Category(category), steps, rate_row, filename)
    for name, row in rate_rows.items():
        if name not in first_line and tiers.blocks:
            problems.append(Problem(None, "Market", f"no tiers for {name} (line {row.line} of the rates file): "
                                    "every market of the card needs its block, n/a where it has no tiers",
                                    filename))
    return problems


def _step_problems(block: TierBlock, category: Category, steps: list[TierStep], rate_row: RateRow,
                   filename: str) -> list[Problem]:
    """Tiers start at 0, each starts right after the previous one ends (Meta's bounds are inclusive:
    0 - 100,000 then 100,001 - ...), the last is open ('--'), and the first is the card's list rate."""
    label = category.label
    problems = []
    if steps[0].start != 0:
        problems.append(Problem(steps[0].line, f"{label} From", f"the first tier starts at {steps[0].start:,}; "
                                "it must start at 0", filename))
    for previous, step in zip(steps, steps[1:]):
        if previous.end is None:
            problems.append(Problem(previous.line, f"{label} To", "only the last tier may be open (--)", filename))
        elif step.start > previous.end + 1:
            problems.append(Problem(step.line, f"{label} From", f"gap: the tier before ends at {previous.end:,}, "
                                    f"so this one must start at {previous.end + 1:,}, not {step.start:,}", filename))
        elif step.start < previous.end + 1:
            problems.append(Problem(step.line, f"{label} From", f"overlap: the tier before ends at "
                                    f"{previous.end:,}, so this one must start at {previous.end + 1:,}, not "
                                    f"{step.start:,}", filename))
    if steps[-1].end is not None:
        problems.append(Problem(steps[-1].line, f"{label} To", f"the last tier ends at {steps[-1].end:,}; it must "
                                "be open (--)", filename))
    list_rate = rate_row.rates.get(category.value)
    if category.value not in rate_row.rates:
        pass  # the rates cell itself was unreadable and is reported there
    elif list_rate is None:
        problems.append(Problem(block.line, f"{label} Rate", f"tiers for {block.market} {label}, but the rates "
                                f"file has n/a for it (line {rate_row.line})", filename))
    elif steps[0].rate != list_rate:
        problems.append(Problem(steps[0].line, f"{label} Rate", f"list rate {steps[0].rate} differs from the rates "
                                f"file's {list_rate} (line {rate_row.line})", filename))
    return problems


# --- Rules ----------------------------------------------------------------------------------------------

_CHANGE_OF_RULES = date(2026, 10, 1)  # docs/pricing-rules.md: service charged, utility in the window charged again
_SERVICE_FREE_FROM = date(2024, 11, 1)


def default_rules(pricing_model: str, effective_from: date) -> dict:
    """Starting rules for a card with no earlier card of its currency: the table of docs/pricing-rules.md.

    Only a starting point: rules are settings of the card that an admin checks and changes."""
    rules = {
        "pricing_model": pricing_model,
        "conversation_hours": 24,
        "service_window_hours": 24,
        "free_entry_point_hours": 72,
        "utility_free_in_service_window": False,
        "service_charged": False,
        "free_service_allowance": 0,
        "free_service_scope": FreeServiceScope.NONE.value,
        "volume_tiers": False,
    }
    if pricing_model == PricingModel.CONVERSATION:
        if effective_from < _SERVICE_FREE_FROM:
            rules.update(service_charged=True, free_service_allowance=1000,
                         free_service_scope=FreeServiceScope.BUSINESS_ACCOUNT.value)
    elif effective_from < _CHANGE_OF_RULES:
        rules.update(utility_free_in_service_window=True, volume_tiers=True)
    else:
        rules.update(service_charged=True, free_service_allowance=1000,
                     free_service_scope=FreeServiceScope.PHONE_NUMBER.value, volume_tiers=True)
    return rules


def _rule_problems(rules: dict) -> list[Problem]:
    problems = []
    for key in rules:
        if key not in RULE_FIELDS:
            problems.append(Problem(None, None, f"unknown rule setting '{key}' (known: {', '.join(RULE_FIELDS)})"))
    for key in ("conversation_hours", "service_window_hours", "free_entry_point_hours", "free_service_allowance"):
        value = rules.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(Problem(None, None, f"rule setting {key} must be a whole number >= 0, not {value!r}"))
    for key in ("utility_free_in_service_window", "service_charged", "volume_tiers"):
        if not isinstance(rules.get(key), bool):
            problems.append(Problem(None, None, f"rule setting {key} must be true or false, not {rules.get(key)!r}"))
    if rules.get("pricing_model") not in PricingModel.values:
        problems.append(Problem(None, None, f"rule setting pricing_model must be one of {PricingModel.values}"))
    if rules.get("free_service_scope") not in FreeServiceScope.values:
        problems.append(Problem(None, None, f"rule setting free_service_scope must be one of "
                                f"{FreeServiceScope.values}"))
    if not problems:
        card = RateCard(currency="XXX", effective_from=date.today(), **{k: rules[k] for k in RULE_FIELDS})
        try:
            card.clean()
        except ValidationError as exc:
            problems += [Problem(None, None, f"rules: {message}") for message in exc.messages]
    return problems


def _complete_rules(given: dict, title_model: str | None, effective_from: date | None) -> dict:
    """Given rules may leave settings out: those come from the defaults for the card's model."""
    model = given.get("pricing_model") or title_model or PricingModel.MESSAGE
    return {**default_rules(model, effective_from or date.today()), **given}


def _earlier_card(currency: str, effective_from: date) -> RateCard | None:
    """The latest card of the currency before this date: published first, a draft only if there is none."""
    earlier = RateCard.objects.filter(currency=currency, effective_from__lt=effective_from).exclude(
        status=CardStatus.SUPERSEDED
    )
    return (earlier.filter(status=CardStatus.PUBLISHED).order_by("-effective_from").first()
            or earlier.order_by("-effective_from", "-pk").first())


def _choose_rules(given: dict | None, title_model: str | None, currency: str, effective_from: date,
                  same_date: RateCard | None, notes: list[str]) -> tuple[dict, str]:
    """The rules of the imported card and where they come from (said in the report)."""
    if given is not None:
        rules = _complete_rules(given, title_model, effective_from)
        if title_model and rules["pricing_model"] != title_model:
            notes.append(f"The title says {PricingModel(title_model).label.lower()} but the rules given say "
                         f"{rules['pricing_model']}; using the rules given.")
        return rules, "the rules given"
    if same_date is not None:
        return same_date.rules_dict(), f"{same_date} (#{same_date.pk}), the existing card of that currency and date"
    previous = _earlier_card(currency, effective_from)
    if previous is not None and (title_model is None or previous.pricing_model == title_model):
        return previous.rules_dict(), f"{previous} (#{previous.pk}), the latest earlier {currency} card"
    model = title_model or PricingModel.MESSAGE
    why = (f"the latest earlier {currency} card, {previous}, is {PricingModel(previous.pricing_model).label.lower()}"
           if previous is not None else f"no earlier {currency} card")
    notes.append(f"Rules: defaults for a {PricingModel(model).label.lower()} card on {effective_from} ({why}); "
                 "check them in the admin before publishing.")
    return default_rules(model, effective_from), "defaults"
