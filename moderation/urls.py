from django.urls import path

from moderation import (
    case_views,
    consent_views,
    crisis_views,
    import_views,
    registration_views,
    reply_views,
    report_views,
    token_views,
    views,
    work_views,
)

app_name = "moderation"

urlpatterns = [
    # "My queue", the inbox of one account, and logging by hand (KAU-RESPONSE-DEADLINE).
    path("", views.queue, name="queue"),
    path("konto/<int:account_id>/", views.inbox, name="inbox"),
    path("konto/<int:account_id>/nytt/", views.item_create, name="item_create"),
    path("konto/<int:account_id>/importera/", import_views.import_items, name="import"),
    path("konto/<int:account_id>/importera/mall.csv", import_views.import_template, name="import_template"),
    # One item, its log and the actions on it.
    path("<int:pk>/", views.item_detail, name="item"),
    path("<int:pk>/klassificera/", views.item_classify, name="classify"),
    path("<int:pk>/svara/", views.item_answer, name="answer"),
    path("<int:pk>/stang/", views.item_close, name="close"),
    path("<int:pk>/ta-bort/", views.item_remove, name="remove"),
    path("<int:pk>/eskalera/", views.item_escalate, name="escalate"),
    # Registered or not, as a decision of its own (KAU-DIARY-NONE, KAU-DIARY-ACTION).
    path("<int:pk>/diarieforing/", registration_views.item_registration, name="registration"),
    # "I'm handling this", and the bulk actions of the queue.
    path("<int:pk>/ta/", work_views.item_take, name="take"),
    path("<int:pk>/slapp/", work_views.item_release, name="release"),
    path("valda/", work_views.bulk_action, name="bulk"),
    path("larm/<int:pk>/kvittera/", work_views.alert_acknowledge, name="alert_acknowledge"),
    # Saved replies, kept by the communications department (KAU-RESPONSE-TONE).
    path("svarsmallar/", reply_views.reply_list, name="replies"),
    path("svarsmallar/ny/", reply_views.reply_add, name="reply_add"),
    path("svarsmallar/<int:pk>/andra/", reply_views.reply_edit, name="reply_edit"),
    path("svarsmallar/<int:pk>/avveckla/", reply_views.reply_retire, name="reply_retire"),
    path("larm/kvittera-alla/", work_views.alerts_acknowledge_all, name="alerts_acknowledge_all"),
    # Threat cases (KAU-THREAT): the security officer's and the social media lead's.
    path("hot/", case_views.case_list, name="cases"),
    path("hot/<int:pk>/", case_views.case_detail, name="case"),
    path("hot/<int:pk>/anteckna/", case_views.case_record, name="case_record"),
    # Crisis mode (KAU-CRISIS, KTH-COMPLEMENT): declaring, the log of what was published, ending.
    path("kris/", crisis_views.crisis_list, name="crises"),
    path("kris/ny/", crisis_views.crisis_declare, name="crisis_declare"),
    path("kris/<int:pk>/", crisis_views.crisis_detail, name="crisis"),
    path("kris/<int:pk>/logga/", crisis_views.crisis_log, name="crisis_log"),
    path("kris/<int:pk>/svarsmall/", crisis_views.crisis_reply_add, name="crisis_reply_add"),
    path("kris/<int:pk>/avsluta/", crisis_views.crisis_end, name="crisis_end"),
    # The response-time report (KAU-RESPONSE-DEADLINE) and the connectors' keys.
    path("rapport/", report_views.report, name="report"),
    path("rapport.csv", report_views.report_export, name="report_export"),
    path("rapport.xlsx", report_views.report_export, {"fmt": "xlsx"}, name="report_export_xlsx"),
    path("api-nycklar/", token_views.token_list, name="tokens"),
    path("api-nycklar/<int:pk>/aterkalla/", token_views.token_revoke, name="token_revoke"),
    # The consent register for images and film (KAU-CONSENT, KAU-CREDIT).
    path("samtycken/", consent_views.register, name="consents"),
    path("samtycken/nytt/", consent_views.consent_create, name="consent_create"),
    path("samtycken/<int:pk>/", consent_views.consent_detail, name="consent"),
    path("samtycken/<int:pk>/andra/", consent_views.consent_edit, name="consent_edit"),
    path("samtycken/<int:pk>/aterkalla/", consent_views.consent_withdraw, name="consent_withdraw"),
    path("samtycken/<int:pk>/fil/", consent_views.consent_file, name="consent_file"),
    path("samtycken/folkmassa/ny/", consent_views.crowd_create, name="crowd_create"),
    path("samtycken/folkmassa/<int:pk>/", consent_views.crowd_detail, name="crowd"),
    path("samtycken/folkmassa/<int:pk>/invandning/", consent_views.crowd_objection, name="crowd_objection"),
    path("samtycken/fotograf/ny/", consent_views.credit_create, name="credit_create"),
    path("samtycken/fotograf/<int:pk>/", consent_views.credit_detail, name="credit"),
    path("samtycken/fotograf/<int:pk>/fil/", consent_views.credit_file, name="credit_file"),
    path("samtycken/planerat/nytt/", consent_views.planned_create, name="planned_create"),
    path("samtycken/planerat/<int:pk>/", consent_views.planned_detail, name="planned"),
    path("samtycken/planerat/<int:pk>/koppla/", consent_views.planned_link, name="planned_link"),
    path(
        "samtycken/planerat/<int:pk>/publicerat/", consent_views.planned_published, name="planned_published"
    ),
    path("samtycken/inlagg/<int:pk>/", consent_views.publication_detail, name="publication"),
    path("samtycken/inlagg/<int:pk>/koppla/", consent_views.publication_link, name="publication_link"),
    path("samtycken/paverkat/<int:pk>/hanterat/", consent_views.affected_handled, name="affected_handled"),
]
