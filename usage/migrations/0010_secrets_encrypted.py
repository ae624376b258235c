"""A workspace's app secret and Graph API token encrypted at rest (pricing_site/encryption.py).

The columns become text (a ciphertext is longer than its secret), the values already stored are
encrypted with the key in force (FIELD_ENCRYPTION_KEY, or the one derived from DJANGO_SECRET_KEY), then
the fields become encrypted fields (no change to the columns). Backwards: decrypted again.
"""

from django.db import migrations, models

import pricing_site.encryption

SECRETS = ("app_secret", "graph_access_token")
APP_SECRET_HELP = "The Meta app's secret (App settings, Basic): signs every webhook. Never shown again."
TOKEN_HELP = ("A Graph API access token with whatsapp_business_management (a system user's token). Never shown "
              "again after saving.")


def _convert(apps, how) -> None:
    """Every stored secret through `how`; the model here has plain text fields, so values go as they are."""
    Workspace = apps.get_model("usage", "Workspace")
    for pk, *values in Workspace.objects.values_list("pk", *SECRETS):
        Workspace.objects.filter(pk=pk).update(**{name: how(value) for name, value in zip(SECRETS, values)})


def encrypt_existing(apps, schema_editor) -> None:
    _convert(apps, pricing_site.encryption.encrypt)


def decrypt_existing(apps, schema_editor) -> None:
    _convert(apps, pricing_site.encryption.decrypt)


class Migration(migrations.Migration):

    dependencies = [
        ("usage", "0009_jobs"),
    ]

    operations = [
        migrations.AlterField("workspace", "app_secret",
                              models.TextField(blank=True, help_text=APP_SECRET_HELP, max_length=128)),
        migrations.AlterField("workspace", "graph_access_token",
                              models.TextField(blank=True, help_text=TOKEN_HELP, max_length=1024)),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.AlterField("workspace", "app_secret", pricing_site.encryption.EncryptedTextField(
            blank=True, help_text=APP_SECRET_HELP, max_length=128)),
        migrations.AlterField("workspace", "graph_access_token", pricing_site.encryption.EncryptedTextField(
            blank=True, help_text=TOKEN_HELP, max_length=1024)),
    ]
