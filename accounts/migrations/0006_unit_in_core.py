"""An account's unit is core's OrgUnit now (state only: the column and its rows are unchanged)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_account_name_idx'),
        ('core', '0006_units_and_settings_state'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='account',
                    name='unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='accounts', to='core.orgunit', verbose_name='unit'),
                ),
                migrations.AlterField(
                    model_name='historicalaccount',
                    name='unit',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.orgunit', verbose_name='unit'),
                ),
            ],
        ),
    ]
