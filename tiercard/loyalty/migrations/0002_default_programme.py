"""Every database starts with one active programme: the default ladder 基础级 … VIP级."""

from django.db import migrations


def create_default(apps, schema_editor):
    from tiercard.tiers.programme import default_programme, dump_programme

    TierLadder = apps.get_model("loyalty", "TierLadder")
    if not TierLadder.objects.exists():
        TierLadder.objects.create(
            version=1,
            rules=dump_programme(default_programme()),
            note="默认分级方案 / default programme",
            is_active=True,
        )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
