"""Realistic webhook exports of any size, for benchmarks, screenshots and tests (deterministic by seed).

A business with two phone numbers talks to users in a dozen markets through one month: templates of each
category (with `sent`, `delivered` and usually `read` statuses, pricing on the first two, a few failing),
users writing in and getting free-form replies (free until the month's 1,000 free service messages per
number are used, then `regular`), users arriving from ads (free entry point), and webhook retries that
repeat a line. Lines come in arrival order, so statuses of one message are close but not always in time
order. Written with string templates rather than json.dumps: a million lines take a few seconds.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timezone
from typing import Iterator, TextIO

WABA = "102290129340398"
NUMBERS = (("15550783881", "106540352242922"), ("15550783882", "106540352242923"))

# market prefix, digits after it, weight; the prefixes resolve to real markets (India, Brazil, ...)
MARKETS = (
    ("9198", 8, 34), ("55119", 8, 14), ("62812", 8, 9), ("447700", 6, 6), ("1415555", 4, 6),
    ("49151", 8, 5), ("52155", 8, 5), ("23480", 8, 5), ("9665", 8, 5), ("1809555", 4, 3),
    ("9989", 8, 3), ("20100", 7, 3), ("57300", 7, 2),
)
TEMPLATE_CATEGORIES = (("marketing", 34), ("utility", 44), ("authentication", 18), ("marketing_lite", 4))
FREE_SERVICE_PER_NUMBER = 1000

_HEAD = ('{"object":"whatsapp_business_account","entry":[{"id":"' + WABA + '","changes":[{"value":'
         '{"messaging_product":"whatsapp","metadata":{"display_phone_number":"%s","phone_number_id":"%s"},')
_STATUS = _HEAD + '"statuses":[{"id":"%s","status":"%s","timestamp":"%d","recipient_id":"%s"%s}]},"field":"messages"}]}]}\n'
_PRICING = ',"pricing":{"billable":%s,"pricing_model":"PMP","type":"%s","category":"%s"}'
_INBOUND = (_HEAD + '"contacts":[{"profile":{"name":"Customer"},"wa_id":"%s"}],"messages":[{"from":"%s","id":"%s",'
            '"timestamp":"%d","type":"text","text":{"body":"%s"}%s}]},"field":"messages"}]}]}\n')
_REFERRAL = (',"referral":{"source_url":"https://fb.me/example","source_type":"ad","source_id":"120000000000",'
             '"headline":"Spring offer","ctwa_clid":"ARAexample"}')
_FAILED = (_HEAD + '"statuses":[{"id":"%s","status":"failed","timestamp":"%d","recipient_id":"%s","errors":[{"code":'
           '131049,"title":"This message was not delivered to maintain healthy ecosystem engagement."}]}]},'
           '"field":"messages"}]}]}\n')


def lines(count: int, month: date = date(2026, 11, 1), seed: int = 7, users: int = 40_000,
          broken_every: int = 0) -> Iterator[str]:
    """About `count` lines of one month's webhooks (a line every `broken_every` lines is cut short)."""
    rng = random.Random(seed)
    start = int(datetime(month.year, month.month, 1, tzinfo=timezone.utc).timestamp())
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    span = int(datetime(next_month.year, next_month.month, 1, tzinfo=timezone.utc).timestamp()) - start - 4 * 86400
    step = span / max(count / 3.2, 1)
    prefixes = [m for m in MARKETS for _ in range(m[2])]
    pool = []
    for _ in range(users):
        prefix, digits, _weight = rng.choice(prefixes)
        pool.append(prefix + "".join(rng.choice("0123456789") for _ in range(digits)))
    categories = [c for c, w in TEMPLATE_CATEGORIES for _ in range(w)]
    service_used = dict.fromkeys(n[1] for n in NUMBERS)
    for key in service_used:
        service_used[key] = 0
    emitted = 0
    serial = 0
    t = float(start)
    while emitted < count:
        t += rng.expovariate(1 / step)
        ts = int(t)
        user = rng.choice(pool)
        display, phone = NUMBERS[0] if rng.random() < 0.7 else NUMBERS[1]
        out: list[str] = []
        roll = rng.random()
        if roll < 0.72:  # a template
            serial += 1
            category = rng.choice(categories)
            if category == "authentication" and user.startswith("91") and rng.random() < 0.3:
                category = "authentication_international"
            _template(out, rng, display, phone, f"wamid.T{serial}", ts, user, category)
        elif roll < 0.94:  # the user writes; the business answers
            serial += 1
            out.append(_INBOUND % (display, phone, user, user, f"wamid.U{serial}", ts, "Hello", ""))
            for reply in range(rng.choice((1, 1, 2, 3))):
                serial += 1
                at = ts + 60 * (reply + 1) + rng.randrange(60)
                service_used[phone] += 1
                free = service_used[phone] <= FREE_SERVICE_PER_NUMBER
                pricing = _PRICING % ("false" if free else "true", "free_customer_service" if free else "regular",
                                      "service")
                _statuses(out, rng, display, phone, f"wamid.S{serial}", at, user, pricing)
            if rng.random() < 0.25:  # a utility template inside the open window: charged on 2026-10-01 rules
                serial += 1
                _template(out, rng, display, phone, f"wamid.T{serial}", ts + 600, user, "utility")
        else:  # from an ad: the answer opens a free entry point window
            serial += 1
            out.append(_INBOUND % (display, phone, user, user, f"wamid.U{serial}", ts, "Hi from the ad", _REFERRAL))
            for reply, category in enumerate(("service", "marketing")):
                serial += 1
                pricing = _PRICING % ("false", "free_entry_point", category)
                _statuses(out, rng, display, phone, f"wamid.F{serial}", ts + 120 + 3600 * reply, user, pricing)
        for line in out:
            if broken_every and emitted and emitted % broken_every == 0:
                line = line[: len(line) // 2] + "\n"
            yield line
            emitted += 1
            if rng.random() < 0.02:  # the provider retries the webhook
                yield line
                emitted += 1


def _template(out: list[str], rng: random.Random, display: str, phone: str, wamid: str, ts: int, user: str,
              category: str) -> None:
    pricing = _PRICING % ("true", "regular", category)
    if rng.random() < 0.02:
        out.append(_STATUS % (display, phone, wamid, "sent", ts, user, pricing))
        out.append(_FAILED % (display, phone, wamid, ts + 30, user))
        return
    _statuses(out, rng, display, phone, wamid, ts, user, pricing)


def _statuses(out: list[str], rng: random.Random, display: str, phone: str, wamid: str, ts: int, user: str,
              pricing: str) -> None:
    out.append(_STATUS % (display, phone, wamid, "sent", ts, user, pricing))
    out.append(_STATUS % (display, phone, wamid, "delivered", ts + 2 + rng.randrange(5), user, pricing))
    if rng.random() < 0.7:
        out.append(_STATUS % (display, phone, wamid, "read", ts + 30 + rng.randrange(3600), user, ""))


def write(handle: TextIO, count: int, **options) -> int:
    written = 0
    for line in lines(count, **options):
        handle.write(line)
        written += 1
    return written
