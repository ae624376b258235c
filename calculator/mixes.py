"""Ready-made message mixes that fill the calculator's form: typical businesses a newcomer recognises."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.http import QueryDict

from calculator.forms import PREFIX, canonical_query


@dataclass(frozen=True)
class Mix:
    slug: str
    title: str
    summary: str
    settings: dict[str, str]
    lines: tuple[dict[str, str], ...]

    @cached_property
    def query(self) -> str:
        data = QueryDict(mutable=True)
        data.update(self.settings)
        for index, line in enumerate(self.lines):
            for name, value in line.items():
                data[f"{PREFIX}-{index}-{name}"] = value
        data[f"{PREFIX}-TOTAL_FORMS"] = str(len(self.lines))
        return canonical_query(data)


MIXES = (
    Mix(
        slug="indian-retailer",
        title="Indian retailer's notifications",
        summary="Order and delivery updates, some offers and customer replies, all in India.",
        settings={"currency": "USD", "business_country": "IN", "utility_in_service_window": "35"},
        lines=({"country": "IN", "marketing": "120000", "utility": "450000", "authentication": "30000",
                "service": "60000"},),
    ),
    Mix(
        slug="brazilian-bank",
        title="Brazilian bank's one-time passwords",
        summary="Millions of login codes, with account alerts, mostly in Brazil.",
        settings={"currency": "USD", "business_country": "BR", "utility_in_service_window": "10"},
        lines=({"country": "BR", "utility": "400000", "authentication": "2500000", "service": "20000"},
               {"country": "AR", "authentication": "150000"}),
    ),
    Mix(
        slug="european-campaign",
        title="European marketing campaign",
        summary="A promotion to customers in five EU countries, with follow-up chats.",
        settings={"currency": "USD", "business_country": "DE", "free_entry_point": "5"},
        lines=({"country": "DE", "marketing": "200000", "service": "15000"},
               {"country": "FR", "marketing": "150000", "service": "10000"},
               {"country": "IT", "marketing": "100000", "service": "8000"},
               {"country": "ES", "marketing": "120000", "service": "9000"},
               {"country": "NL", "marketing": "50000", "service": "4000"}),
    ),
)
