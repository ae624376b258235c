"""Meta's rate-card files in and out: the one importer behind `import_ratecard` and the admin upload.

Meta publishes a card as two files, CSV or (since the 2026-10-01 cards, even behind a `.csv` link) XLSX
whose worksheet holds the same rows with numbers as numeric cells (`rows` reads both, by content). This
package reads them as Meta writes them:

* rates: a title line ("Cost per message in USD on the WhatsApp Business Platform, effective April 1,
  2026"; "Cost per conversation ..." for a conversation-based card), optional notes lines, the header
  `Market, Currency, Marketing, Utility, Authentication, "Authentication-<line break>International",
  Service`, then one row per market, `n/a` where the market has no such rate.
* volume tiers: a title line, optional notes lines, two lines of group headings (Utility /
  Authentication / Authentication-International), one header, then six rows per market (the name on
  the first only), per category `From, To, Rate type, Rate, vs. List rate`, with thousands separators,
  `--` for the open upper bound and `n/a` where the category has no tiers.

Everything is checked before anything is written, and every problem is reported with its line and
column, so a rate editor fixes the file once. The write is one transaction: a refused file changes
nothing, an accepted one arrives whole.

The package is split by step: `rows` (bytes to rows of cells), `parsing` (rows to Meta's figures),
`checking` (what the figures mean, against the database; the card's rules), `writing` (the one
transaction and its report) and `exporting` (a card back to Meta's CSV layout); `layout` holds what they
share. Import from `ratecards.importer`: the names below are the public ones.
"""

from ratecards.importer.checking import default_rules, validate
from ratecards.importer.exporting import export_rates_csv, export_tiers_csv
from ratecards.importer.layout import ImportRefused, Problem, meta_date
from ratecards.importer.parsing import ParsedRates, ParsedTiers, parse_rates, parse_tiers
from ratecards.importer.writing import ImportReport, import_card

__all__ = [
    "ImportRefused",
    "ImportReport",
    "ParsedRates",
    "ParsedTiers",
    "Problem",
    "default_rules",
    "export_rates_csv",
    "export_tiers_csv",
    "import_card",
    "meta_date",
    "parse_rates",
    "parse_tiers",
    "validate",
]
