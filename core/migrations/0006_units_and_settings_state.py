"""The organisation tree and the institution's settings become core's models (state only).

The rows stay where they are: this migration tells Django that core now owns the governance_* tables;
core 0007 renames them to core_* once every relation points here (accounts 0006, governance 0007).
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_user_break_glass'),
        ('governance', '0006_startpage_grace_days'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='HistoricalInstitutionSettings',
                fields=[
                    ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                    ('institution_name', models.CharField(default='Karlstads universitet', max_length=200, verbose_name='institution name')),
                    ('social_media_address', models.EmailField(default='socialamedier@kau.se', help_text='Notified at the risk of a pile-on (KAU-DREV).', max_length=254, verbose_name='central social media address')),
                    ('security_officer_address', models.EmailField(default='sakerhet@kau.se', help_text='Notified at once of a threat (KAU-THREAT).', max_length=254, verbose_name="security officer's address")),
                    ('registry_address', models.EmailField(default='registrator@kau.se', help_text='Where diary packages are sent for registration (KAU-DIARY-ACTION).', max_length=254, verbose_name='registry address')),
                    ('response_due_hours', models.PositiveSmallIntegerField(default=24, help_text='Incoming questions and comments are due after this many working hours (KAU-RESPONSE-DEADLINE).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(240)], verbose_name='response due after (working hours)')),
                    ('response_limit_hours', models.PositiveSmallIntegerField(default=48, help_text='The outer limit for an answer, in working hours (KAU-RESPONSE-DEADLINE).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(480)], verbose_name='response limit (working hours)')),
                    ('extra_days_off', models.JSONField(blank=True, default=list, help_text="The institution's own closed days besides weekends and Swedish holidays, as ISO dates; no working hours count on them (KAU-RESPONSE-DEADLINE).", verbose_name='extra days off')),
                    ('startpage_interval_months', models.PositiveSmallIntegerField(default=6, help_text="How often each account's start page is captured (KAU-STARTPAGE).", validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(24)], verbose_name='start-page screenshot interval (months)')),
                    ('startpage_grace_days', models.PositiveSmallIntegerField(default=14, help_text='Days after the owner is reminded before the deputies and the head of unit are told too (KAU-STARTPAGE).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(90)], verbose_name='start-page reminder grace period (days)')),
                    ('followup_interval_months', models.PositiveSmallIntegerField(default=12, help_text='How often each account is followed up and evaluated (KAU-FOLLOWUP).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(36)], verbose_name='follow-up interval (months)')),
                    ('history_id', models.AutoField(primary_key=True, serialize=False)),
                    ('history_date', models.DateTimeField(db_index=True)),
                    ('history_change_reason', models.CharField(max_length=100, null=True)),
                    ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'db_table': 'governance_historicalinstitutionsettings',
                    'verbose_name': 'historical institution settings',
                    'verbose_name_plural': 'historical institution settings',
                    'ordering': ('-history_date', '-history_id'),
                    'get_latest_by': ('history_date', 'history_id'),
                },
                bases=(simple_history.models.HistoricalChanges, models.Model),
            ),
            migrations.CreateModel(
                name='InstitutionSettings',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('institution_name', models.CharField(default='Karlstads universitet', max_length=200, verbose_name='institution name')),
                    ('social_media_address', models.EmailField(default='socialamedier@kau.se', help_text='Notified at the risk of a pile-on (KAU-DREV).', max_length=254, verbose_name='central social media address')),
                    ('security_officer_address', models.EmailField(default='sakerhet@kau.se', help_text='Notified at once of a threat (KAU-THREAT).', max_length=254, verbose_name="security officer's address")),
                    ('registry_address', models.EmailField(default='registrator@kau.se', help_text='Where diary packages are sent for registration (KAU-DIARY-ACTION).', max_length=254, verbose_name='registry address')),
                    ('response_due_hours', models.PositiveSmallIntegerField(default=24, help_text='Incoming questions and comments are due after this many working hours (KAU-RESPONSE-DEADLINE).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(240)], verbose_name='response due after (working hours)')),
                    ('response_limit_hours', models.PositiveSmallIntegerField(default=48, help_text='The outer limit for an answer, in working hours (KAU-RESPONSE-DEADLINE).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(480)], verbose_name='response limit (working hours)')),
                    ('extra_days_off', models.JSONField(blank=True, default=list, help_text="The institution's own closed days besides weekends and Swedish holidays, as ISO dates; no working hours count on them (KAU-RESPONSE-DEADLINE).", verbose_name='extra days off')),
                    ('startpage_interval_months', models.PositiveSmallIntegerField(default=6, help_text="How often each account's start page is captured (KAU-STARTPAGE).", validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(24)], verbose_name='start-page screenshot interval (months)')),
                    ('startpage_grace_days', models.PositiveSmallIntegerField(default=14, help_text='Days after the owner is reminded before the deputies and the head of unit are told too (KAU-STARTPAGE).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(90)], verbose_name='start-page reminder grace period (days)')),
                    ('followup_interval_months', models.PositiveSmallIntegerField(default=12, help_text='How often each account is followed up and evaluated (KAU-FOLLOWUP).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(36)], verbose_name='follow-up interval (months)')),
                ],
                options={
                    'db_table': 'governance_institutionsettings',
                    'verbose_name': 'institution settings',
                    'verbose_name_plural': 'institution settings',
                    'constraints': [models.CheckConstraint(condition=models.Q(('pk', 1)), name='institutionsettings_single_row'), models.CheckConstraint(condition=models.Q(('response_due_hours__lte', models.F('response_limit_hours'))), name='institutionsettings_due_not_after_limit')],
                },
            ),
            migrations.CreateModel(
                name='OrgUnit',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=200, verbose_name='name')),
                    ('name_en', models.CharField(blank=True, max_length=200, verbose_name='name in English')),
                    ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                    ('kind', models.CharField(choices=[('university', 'University'), ('faculty', 'Faculty'), ('department', 'Department'), ('division', 'Division'), ('communications', 'Communications department'), ('project', 'Project'), ('other', 'Other unit')], max_length=20, verbose_name='kind')),
                    ('path', models.CharField(db_index=True, editable=False, max_length=255, verbose_name='path')),
                    ('is_active', models.BooleanField(default=True, verbose_name='active')),
                    ('head', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='headed_units', to=settings.AUTH_USER_MODEL, verbose_name='head of unit')),
                    ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='core.orgunit', verbose_name='parent unit')),
                ],
                options={
                    'db_table': 'governance_orgunit',
                    'verbose_name': 'unit',
                    'verbose_name_plural': 'units',
                    'ordering': ['path'],
                },
            ),
            migrations.CreateModel(
                name='HistoricalOrgUnit',
                fields=[
                    ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                    ('name', models.CharField(max_length=200, verbose_name='name')),
                    ('name_en', models.CharField(blank=True, max_length=200, verbose_name='name in English')),
                    ('code', models.SlugField(max_length=40, verbose_name='code')),
                    ('kind', models.CharField(choices=[('university', 'University'), ('faculty', 'Faculty'), ('department', 'Department'), ('division', 'Division'), ('communications', 'Communications department'), ('project', 'Project'), ('other', 'Other unit')], max_length=20, verbose_name='kind')),
                    ('path', models.CharField(db_index=True, editable=False, max_length=255, verbose_name='path')),
                    ('is_active', models.BooleanField(default=True, verbose_name='active')),
                    ('history_id', models.AutoField(primary_key=True, serialize=False)),
                    ('history_date', models.DateTimeField(db_index=True)),
                    ('history_change_reason', models.CharField(max_length=100, null=True)),
                    ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                    ('head', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='head of unit')),
                    ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('parent', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.orgunit', verbose_name='parent unit')),
                ],
                options={
                    'db_table': 'governance_historicalorgunit',
                    'verbose_name': 'historical unit',
                    'verbose_name_plural': 'historical units',
                    'ordering': ('-history_date', '-history_id'),
                    'get_latest_by': ('history_date', 'history_id'),
                },
                bases=(simple_history.models.HistoricalChanges, models.Model),
            ),
            migrations.AddConstraint(
                model_name='orgunit',
                constraint=models.CheckConstraint(condition=models.Q(('parent__isnull', True), models.Q(('parent', models.F('pk')), _negated=True), _connector='OR'), name='orgunit_not_own_parent'),
            ),
            ],
        ),
    ]
