"""The organisation tree and the institution's settings leave governance for core (state only: the
tables and every row are kept, and core 0007 renames them)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_unit_in_core'),
        ('core', '0006_units_and_settings_state'),
        ('governance', '0006_startpage_grace_days'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalinstitutionsettings',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalorgunit',
                    name='head',
                ),
                migrations.RemoveField(
                    model_name='historicalorgunit',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalorgunit',
                    name='parent',
                ),
                migrations.DeleteModel(
                    name='InstitutionSettings',
                ),
                migrations.RemoveField(
                    model_name='orgunit',
                    name='head',
                ),
                migrations.RemoveField(
                    model_name='orgunit',
                    name='parent',
                ),
                migrations.AlterField(
                    model_name='historicalaccountrequest',
                    name='unit',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.orgunit', verbose_name='requesting unit'),
                ),
                migrations.AlterField(
                    model_name='accountrequest',
                    name='unit',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='account_requests', to='core.orgunit', verbose_name='requesting unit'),
                ),
                migrations.AlterField(
                    model_name='accountrequest',
                    name='blogger_assigning_unit',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.orgunit', verbose_name='unit that assigns the blogger'),
                ),
                migrations.AlterField(
                    model_name='historicalaccountrequest',
                    name='blogger_assigning_unit',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.orgunit', verbose_name='unit that assigns the blogger'),
                ),
                migrations.DeleteModel(
                    name='HistoricalInstitutionSettings',
                ),
                migrations.DeleteModel(
                    name='HistoricalOrgUnit',
                ),
                migrations.DeleteModel(
                    name='OrgUnit',
                ),
            ],
        ),
    ]
