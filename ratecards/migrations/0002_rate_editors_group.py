from django.db import migrations

RATE_EDITORS = "Rate editors"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=RATE_EDITORS)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=RATE_EDITORS).delete()


class Migration(migrations.Migration):
    """Members of "Rate editors" may change cards and mappings in the admin; other staff only view."""

    dependencies = [("ratecards", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_group, remove_group)]
