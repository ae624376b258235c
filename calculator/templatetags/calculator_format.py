"""Display filters for the calculator: money rounded once (engine's round_money), counts and rates."""

from __future__ import annotations

import json
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from calculator.engine import vocabulary
from calculator.engine.money import round_money
from calculator.engine.staleness import describe as describe_rules
from calculator.engine.vocabulary import currency_prefix
from calculator.forms import HELP_SECTIONS

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """An unrounded amount as shown: "$1,234.56" (rounded half up to the currency's minor unit)."""
    return vocabulary.money_text(amount, currency)


@register.filter
def signed_money(amount: Decimal, currency: str) -> str:
    """A difference: "+$12.30", "−$4.00" or "$0.00"."""
    rounded = round_money(Decimal(amount), currency)
    sign = "+" if rounded > 0 else "−" if rounded < 0 else ""
    return f"{sign}{currency_prefix(currency)}{abs(rounded):,}"


count = register.filter("count", vocabulary.count_text)


@register.filter
def rate(value: Decimal | None, currency: str) -> str:
    """A per-message rate with the card's four decimals."""
    if value is None:
        return "—"
    return f"{currency_prefix(currency)}{Decimal(value).quantize(Decimal('0.0001'))}"


@register.filter
def blended_rate(status, currency: str) -> str:
    """A market's blended rate (a TierStatus's), with the places that set it apart from the list rate."""
    if status.blended_rate is None:
        return "—"
    return f"{currency_prefix(currency)}{vocabulary.rate_number(status.blended_rate, status.ladder[0].rate)}"


tier_step = register.filter("tier_step", vocabulary.tier_step)
to_next_step = register.filter("to_next_step", vocabulary.to_next_step)


@register.filter
def effect_text(page, name: str) -> str:
    """What a what-if setting changes, in words (calculator/effects.py); "" when nothing to say."""
    return page.effect_text(name) if page else ""


@register.filter
def count_echo(bf) -> str:
    """A count field's value as read, for beside the field ("= 200,000 messages"); "" when it has none."""
    echo = getattr(bf.field, "echo", None)
    if echo is None or not bf.form.is_bound or bf.errors:
        return ""
    value = getattr(bf.form, "cleaned_data", {}).get(bf.name)
    return echo(value) if value else ""


@register.filter
def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{abs(value)}%"


category_label = register.filter("category_label", vocabulary.category_label)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def sum_values(values) -> Decimal:
    return sum(values, Decimal(0))


_JSON_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


@register.filter(is_safe=True)
def fast_json_script(value, element_id: str | None = None) -> SafeString:
    """Django's ``json_script``, same output, faster (its own name: it does not shadow the built-in).

    Django escapes with ``str.translate`` over a dict, about 0.5 µs a character: 15 ms of CPU for the
    two figures of every update. Three ``str.replace`` calls do the same escaping in well under 1 ms.
    """
    text = json.dumps(value, cls=DjangoJSONEncoder)
    for character, escaped in _JSON_ESCAPES:
        text = text.replace(character, escaped)
    if element_id:
        return format_html('<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text))
    return format_html('<script type="application/json">{}</script>', mark_safe(text))


@register.filter
def help_section(field_name: str) -> str:
    """The section of /how-meta-charges/ that explains a field ("" when none)."""
    return HELP_SECTIONS.get(field_name, "")


@register.filter
def stale_rules_text(rules) -> str:
    """A card's rules in the short words of a stale-rules notice ("billed per message; service free; ...")."""
    return "; ".join(describe_rules(rules))
