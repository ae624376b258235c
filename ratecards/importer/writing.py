"""Writing a checked card: create it, replace a draft, or add a draft that corrects a published card
(a published card never changes), in one transaction; and the report of what the import did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from ratecards import catalog
from ratecards.importer.checking import _choose_rules, _complete_rules, _earlier_card, _rule_problems, _validate
from ratecards.importer.layout import RATE_CATEGORIES, SOURCE_MAX, ImportRefused, _show, meta_date
from ratecards.importer.parsing import ParsedRates, ParsedTiers, parse_rates, parse_tiers
from ratecards.models import TIERED_CATEGORIES, CardStatus, Category, PricingModel, Rate, RateCard, VolumeTier

# --- Figures: what a card holds, to compare and to write ------------------------------------------------

RateKey = tuple[int, str]  # market id, category
TierKey = tuple[int, str, int]  # market id, category, start
TierValue = tuple[Decimal, Decimal | None]  # rate, Meta's vs. list rate label


@dataclass
class _Figures:
    rates: dict[RateKey, Decimal | None]
    tiers: dict[TierKey, TierValue]

    @classmethod
    def from_files(cls, rates: ParsedRates, tiers: ParsedTiers | None, market_ids: dict[str, int]) -> "_Figures":
        rate_figures = {(market_ids[row.market], category): value
                        for row in rates.rows for category, value in row.rates.items()}
        tier_figures = {}
        for block in tiers.blocks if tiers else []:
            for category, steps in block.tiers.items():
                for step in steps:
                    tier_figures[(market_ids[block.market], category, step.start)] = (step.rate, step.vs_list_rate)
        return cls(rate_figures, tier_figures)

    @classmethod
    def of_card(cls, card: RateCard) -> "_Figures":
        return cls(
            {(m, c): r for m, c, r in card.rates.values_list("market_id", "category", "rate")},
            {(m, c, s): (r, p) for m, c, s, r, p in card.tiers.values_list(
                "market_id", "category", "start", "rate", "vs_list_rate")},
        )

    def same_as(self, other: "_Figures") -> bool:
        return self.rates == other.rates and self.tiers == other.tiers

    def write(self, card: RateCard) -> None:
        Rate.objects.bulk_create(Rate(card=card, market_id=m, category=c, rate=r) for (m, c), r in self.rates.items())
        VolumeTier.objects.bulk_create(
            VolumeTier(card=card, market_id=m, category=c, start=s, rate=r, vs_list_rate=p)
            for (m, c, s), (r, p) in self.tiers.items()
        )


def _differences(old: _Figures, new: _Figures, names: dict[int, str], limit: int = 50) -> list[str]:
    """Rate cells that changed, markets added or dropped, and how many tier rows differ."""
    lines = []
    old_markets = {m for m, _ in old.rates}
    new_markets = {m for m, _ in new.rates}
    for market in sorted(new_markets - old_markets, key=names.get):
        lines.append(f"{names[market]}: new market")
    for market in sorted(old_markets - new_markets, key=names.get):
        lines.append(f"{names[market]}: no longer on the card")
    order = {c.value: i for i, c in enumerate(RATE_CATEGORIES)}
    common = sorted((k for k in new.rates if k[0] in old_markets), key=lambda k: (names[k[0]], order[k[1]]))
    for key in common:
        before, after = old.rates.get(key), new.rates[key]
        if before != after:
            lines.append(f"{names[key[0]]} {Category(key[1]).label}: {_show(before)} -> {_show(after)}")
    tier_changes = len(set(old.tiers.items()) ^ set(new.tiers.items()))
    if tier_changes:
        lines.append(f"{tier_changes} tier row{'s' if tier_changes != 1 else ''} added, removed or changed")
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more"]
    return lines


# --- Import ---------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    action: str  # "created" | "updated" | "unchanged"
    card: RateCard | None  # None for a dry run
    currency: str
    effective_from: date
    pricing_model: str
    dry_run: bool = False
    published: bool = False
    markets: int = 0
    rates: int = 0  # cells with a rate
    not_available: int = 0  # n/a cells
    tiers: int = 0
    notes: list[str] = field(default_factory=list)
    rules: dict = field(default_factory=dict)
    rules_from: str = ""
    compared_with: str | None = None
    differences: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.currency} {self.effective_from.isoformat()}"

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def __str__(self) -> str:
        would = "would be " if self.dry_run else ""
        if self.action == "unchanged":
            what = f"{self.name} unchanged (the same card is already there)"
        else:
            status = "published" if self.published else "draft"
            card = f" #{self.card.pk}" if self.card is not None else ""
            what = f"{self.name} {would}{self.action} ({status}{card})"
        counts = (f"{self.markets} markets, {self.rates} rates ({self.not_available} n/a), {self.tiers} tiers, "
                  f"{len(self.notes)} note{'s' if len(self.notes) != 1 else ''}")
        return f"{what}: {counts}"

    def describe(self) -> str:
        """The full report, several lines, for the command line."""
        lines = [str(self), f"Rules from {self.rules_from}."]
        lines += [f"Note: {note}" for note in self.notes]
        if self.compared_with:
            if self.differences:
                lines.append(f"Differences from {self.compared_with}:")
                lines += [f"  {line}" for line in self.differences]
            else:
                lines.append(f"Same rates and tiers as {self.compared_with}.")
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        return "\n".join(lines)


def import_card(
    rates: bytes,
    tiers: bytes | None = None,
    *,
    currency: str | None = None,
    effective_from: date | None = None,
    dry_run: bool = False,
    publish: bool = False,
    source: str = "",
    rules: dict | None = None,
    rates_name: str = "rates.csv",
    tiers_name: str = "tiers.csv",
    notes: str = "",
) -> ImportReport:
    """Check both files completely, then write the card in one transaction, or raise ImportRefused.

    The same files imported again change nothing. New figures for a date that has a draft replace the
    draft; new figures for a published card become a new draft that corrects it (published cards never
    change). `publish` publishes the result, superseding the card it corrects."""
    parsed_rates = parse_rates(rates, rates_name)
    parsed_tiers = parse_tiers(tiers, tiers_name) if tiers is not None else None
    report_notes: list[str] = []
    currency = _chosen(parsed_rates.currency, currency.upper() if currency else None, "currency", report_notes)
    effective_from = _chosen(parsed_rates.effective_from, effective_from, "effective date", report_notes)

    with transaction.atomic():
        problems, market_ids = _validate(parsed_rates, parsed_tiers, currency, effective_from)
        if rules is not None:
            problems += _rule_problems(_complete_rules(rules, parsed_rates.pricing_model, effective_from))
        if problems:
            raise ImportRefused(problems)
        figures = _Figures.from_files(parsed_rates, parsed_tiers, market_ids)
        plan = _Plan.make(currency, effective_from, figures, rules, parsed_rates.pricing_model, report_notes)
        report = plan.report(figures, market_ids, parsed_rates, report_notes, dry_run, publish)
        if tiers is None and report.rules["volume_tiers"] and report.pricing_model == PricingModel.MESSAGE:
            report_notes.append("No tiers file: until tiers are added, every message is priced at the list rate.")
        _note_untiered(parsed_rates, parsed_tiers, report_notes)
        if not dry_run and report.changed:
            report.card = plan.write(figures, publish=publish, source=_source(source, rates_name, tiers, tiers_name),
                                     notes=_card_notes(notes, parsed_rates, parsed_tiers))
            report.published = report.card.status == CardStatus.PUBLISHED
            catalog.bump()  # bulk_create sends no signals: tell the per-process caches that cards changed
    return report


def _chosen(from_title, given, what: str, notes: list[str]):
    """The given value wins over the title's; a contradiction is worth a note."""
    if given is not None and from_title is not None and given != from_title:
        shown = meta_date(from_title) if isinstance(from_title, date) else from_title
        notes.append(f"The title line says {what} {shown}; using the {what} given, {given}.")
    return given if given is not None else from_title


def _note_untiered(rates: ParsedRates, tiers: ParsedTiers | None, notes: list[str]) -> None:
    """A tiered category with a rate but only n/a tier rows is priced at its list rate: legal, worth saying."""
    if tiers is None:
        return
    blocks = {block.market: block for block in tiers.blocks}
    missing = [f"{row.market} {Category(c).label}" for row in rates.rows for c in (t.value for t in TIERED_CATEGORIES)
               if row.rates.get(c) is not None and row.market in blocks and c not in blocks[row.market].tiers]
    if missing:
        notes.append(f"No tiers (list rate for every message): {', '.join(missing)}.")


def _source(source: str, rates_name: str, tiers: bytes | None, tiers_name: str) -> str:
    text = source or f"Imported from {rates_name}" + (f" and {tiers_name}" if tiers is not None else "")
    return text if len(text) <= SOURCE_MAX else text[: SOURCE_MAX - 1] + "…"


def _card_notes(notes: str, rates: ParsedRates, tiers: ParsedTiers | None) -> str:
    parts = [notes.strip()] if notes.strip() else []
    file_notes = rates.notes + (tiers.notes if tiers else [])
    if file_notes:
        parts.append("Notes in Meta's files:\n" + "\n".join(f"- {note}" for note in file_notes))
    return "\n\n".join(parts)


@dataclass
class _Plan:
    """What the import does: create, replace a draft, correct a published card, or nothing."""

    action: str
    currency: str
    effective_from: date
    rules: dict
    rules_from: str
    existing: RateCard | None  # the card left as is (unchanged) or replaced (draft)
    corrects: RateCard | None  # the published card a new draft corrects
    baseline: RateCard | None  # what differences are shown against

    @classmethod
    def make(cls, currency: str, effective_from: date, figures: _Figures, given_rules: dict | None,
             title_model: str | None, notes: list[str]) -> "_Plan":
        same_date = list(
            RateCard.objects.select_for_update()
            .filter(currency=currency, effective_from=effective_from)
            .exclude(status=CardStatus.SUPERSEDED)
            .order_by("-pk")
        )
        published = next((c for c in same_date if c.status == CardStatus.PUBLISHED), None)
        draft = next((c for c in same_date if c.status == CardStatus.DRAFT), None)
        rules, rules_from = _choose_rules(given_rules, title_model, currency, effective_from, draft or published,
                                          notes)
        plan = cls("created", currency, effective_from, rules, rules_from, None, None, None)
        for card in (published, draft):
            if card is not None and card.rules_dict() == rules and _Figures.of_card(card).same_as(figures):
                plan.action, plan.existing, plan.baseline = "unchanged", card, card
                return plan
        if draft is not None:
            plan.action, plan.existing, plan.baseline = "updated", draft, draft
        elif published is not None:
            plan.corrects = plan.baseline = published
            notes.append(f"{published} (#{published.pk}) is published and never changes: the import is a new "
                         "draft that corrects it.")
        else:
            plan.baseline = _earlier_card(currency, effective_from)
        return plan

    def report(self, figures: _Figures, market_ids: dict[str, int], rates: ParsedRates, notes: list[str],
               dry_run: bool, publish: bool) -> ImportReport:
        names = {pk: name for name, pk in market_ids.items()}
        values = list(figures.rates.values())
        report = ImportReport(
            action=self.action,
            card=self.existing if self.action == "unchanged" and not dry_run else None,
            currency=self.currency,
            effective_from=self.effective_from,
            pricing_model=self.rules["pricing_model"],
            dry_run=dry_run,
            published=self.existing is not None and self.existing.status == CardStatus.PUBLISHED,
            markets=len(rates.rows),
            rates=sum(v is not None for v in values),
            not_available=sum(v is None for v in values),
            tiers=len(figures.tiers),
            notes=notes,
            rules=self.rules,
            rules_from=self.rules_from,
        )
        if self.baseline is not None and self.action != "unchanged":
            report.compared_with = f"{self.baseline} (#{self.baseline.pk}, {self.baseline.status})"
            report.differences = _differences(_Figures.of_card(self.baseline), figures, names)
        if self.action == "unchanged" and publish and self.existing.status == CardStatus.DRAFT:
            report.action = "updated"
            report.notes.append("The same card was already there as a draft: it is published now.")
        return report

    def write(self, figures: _Figures, *, publish: bool, source: str, notes: str) -> RateCard:
        if self.action == "unchanged":
            card = self.existing
        elif self.existing is not None:
            card = self._replace_draft(figures, source, notes)
        else:
            card = RateCard(currency=self.currency, effective_from=self.effective_from, source=source,
                            notes=notes, copied_from=self.corrects, **self.rules)
            if self.corrects is not None:
                card.notes = f"Correction of {self.corrects} (card #{self.corrects.pk}).\n{notes}".strip()
            card.save()
            figures.write(card)
        if publish and card.status == CardStatus.DRAFT:
            card.publish()
        return card

    def _replace_draft(self, figures: _Figures, source: str, notes: str) -> RateCard:
        card = self.existing
        for name, value in self.rules.items():
            setattr(card, name, value)
        card.source = source
        if notes:
            card.notes = notes
        card.save()
        _delete_figures(card)
        figures.write(card)
        return card


def _delete_figures(card: RateCard) -> None:
    """Drop a draft's rates and tiers in two statements.

    The ORM's delete() would load every row and send post_delete for each (ratecards.catalog listens),
    hundreds of catalogue bumps for one card; the import bumps the catalogue once itself. Nothing refers
    to rates or tiers, so no cascade is skipped, and the card is a draft (ChildOfDraftMixin's rule)."""
    with connection.cursor() as cursor:
        for model in (Rate, VolumeTier):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE card_id = %s", [card.pk])
