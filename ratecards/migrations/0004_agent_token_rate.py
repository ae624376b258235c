import secrets
from datetime import date
from decimal import Decimal

from django.db import migrations, models

# The same name as ratecards.defaults.AGENT_RATE_SEED: loaded once ever, so a rate an admin later deletes is
# not brought back (defaults.load_defaults reloads it only after a test's flush wiped the record too).
SEED = "agent-rate:usd-2026-08-01"


def seed_usd_rate(apps, schema_editor):
    """Meta's own figure: USD 2.00 per million tokens from 2026-08-01 (pricing-rules.md)."""
    SeedRecord = apps.get_model("ratecards", "SeedRecord")
    if SeedRecord.objects.filter(name=SEED).exists():
        return
    apps.get_model("ratecards", "AgentTokenRate").objects.get_or_create(
        currency="USD", effective_from=date(2026, 8, 1),
        defaults={"per_million_tokens": Decimal("2.0000"),
                  "source": "Meta: messages written by Meta Business Agent, USD 2.00 per million tokens from 2026-08-01"},
    )
    SeedRecord.objects.create(name=SEED)
    version = apps.get_model("ratecards", "CatalogVersion")
    # Every process caches the catalogue by this token: a new one makes them read the new rate.
    version.objects.update_or_create(pk=1, defaults={"token": secrets.token_hex(16)})


class Migration(migrations.Migration):
    dependencies = [("ratecards", "0003_volumetier_vs_list_rate")]

    operations = [
        migrations.CreateModel(
            name="AgentTokenRate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("currency", models.CharField(help_text="ISO 4217 code, e.g. USD: the rate applies to estimates in this currency only (never converted).", max_length=3)),
                ("effective_from", models.DateField(help_text="First day this rate applies (inclusive); it applies until the next rate of the same currency starts.")),
                ("per_million_tokens", models.DecimalField(decimal_places=4, help_text="What Meta charges per 1,000,000 tokens its agent writes, e.g. 2.00 (USD from 2026-08-01).", max_digits=12, verbose_name="rate per million tokens")),
                ("source", models.CharField(blank=True, help_text="Where the figure comes from.", max_length=300)),
            ],
            options={
                "verbose_name": "Meta Business Agent rate",
                "ordering": ["currency", "-effective_from"],
                "constraints": [
                    models.UniqueConstraint(fields=("currency", "effective_from"), name="one_agent_rate_per_currency_and_date"),
                    models.CheckConstraint(condition=models.Q(per_million_tokens__gte=0), name="agent_rate_not_negative"),
                ],
            },
        ),
        migrations.RunPython(seed_usd_rate, migrations.RunPython.noop),
    ]
