from django.contrib.auth.management import create_permissions
from django.db import migrations

SALES = "Sales"
SALES_MANAGERS = "Sales managers"
OWN = ["add_quote", "change_quote", "view_quote"]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    quote_perms = Permission.objects.filter(content_type__app_label="quotes", content_type__model="quote")
    sales, _ = Group.objects.get_or_create(name=SALES)
    sales.permissions.add(*quote_perms.filter(codename__in=OWN))
    managers, _ = Group.objects.get_or_create(name=SALES_MANAGERS)
    managers.permissions.add(*quote_perms.filter(codename__in=OWN + ["manage_all_quotes"]))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[SALES, SALES_MANAGERS]).delete()


class Migration(migrations.Migration):
    """"Sales" may create quotes and manage their own; "Sales managers" see and manage everyone's."""

    dependencies = [("quotes", "0001_quotes"), ("auth", "0012_alter_user_first_name_max_length"),
                    ("contenttypes", "0002_remove_content_type_name")]
    operations = [migrations.RunPython(create_groups, remove_groups)]
