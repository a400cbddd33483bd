from django.urls import path

from moderation import (
    case_views,
    crisis_views,
    import_views,
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
]
