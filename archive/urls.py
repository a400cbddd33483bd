from django.urls import path

from archive import (
    diary_views,
    disposal_views,
    export_views,
    screenshot_views,
    secrecy_views,
    startpage_views,
)

app_name = "archive"

urlpatterns = [
    # Screenshots: upload or capture for an item's post and replies, the evidence kept before a
    # removal (KAU-PROHIBITED-EVIDENCE), and an account's start page.
    path("inlagg/<int:item_id>/skarmdump/", screenshot_views.item_screenshot, name="item_screenshot"),
    path("inlagg/<int:item_id>/bevis/", screenshot_views.item_evidence, name="item_evidence"),
    path("inlagg/<int:item_id>/fanga/", screenshot_views.item_capture, name="item_capture"),
    path("konto/<int:account_id>/startsida/", startpage_views.startpage, name="startpage"),
    path(
        "konto/<int:account_id>/startsida/fanga/",
        startpage_views.startpage_capture,
        name="startpage_capture",
    ),
    path("skarmdump/<int:pk>/", screenshot_views.screenshot_image, name="screenshot"),
    path("skarmdump/<int:pk>/stamplad/", screenshot_views.stamped_image, name="stamped"),
    # Diary packages (KAU-DIARY-ACTION): build, download, and the registrar's queue.
    path("inlagg/<int:item_id>/diariepaket/", diary_views.package_build, name="package_build"),
    path("diariepaket/<int:pk>/", diary_views.package_detail, name="package"),
    path("diariepaket/<int:pk>/ladda-ned/", diary_views.package_download, name="package_download"),
    path("diariepaket/<int:pk>/diarienummer/", diary_views.package_register, name="package_register"),
    path("diariepaket/<int:pk>/rattelse/", diary_views.package_correct, name="package_correct"),
    path("diariet/", diary_views.registry_queue, name="registry_queue"),
    # Search and exports for requests for public records (KAU-PUBLIC-RECORD).
    path("sok/", export_views.search, name="search"),
    path("sok/tabell.csv", export_views.search_export, name="search_export"),
    path("sok/tabell.xlsx", export_views.search_export, {"fmt": "xlsx"}, name="search_export_xlsx"),
    path("export/", export_views.export_list, name="exports"),
    path("export/<int:pk>/", export_views.export_detail, name="export"),
    path("export/<int:pk>/ladda-ned/", export_views.export_download, name="export_download"),
    # The secrecy review before a release of public records (KAU-PUBLIC-RECORD, OSL 6 kap.).
    path("sekretess/", secrecy_views.review_list, name="secrecy_reviews"),
    path("sekretess/ny/", secrecy_views.review_open, name="secrecy_open"),
    path("sekretess/<int:pk>/", secrecy_views.review_detail, name="secrecy_review"),
    path("sekretess/<int:pk>/markera/", secrecy_views.review_mark, name="secrecy_mark"),
    path(
        "sekretess/<int:pk>/markering/<int:mark_id>/ta-bort/",
        secrecy_views.review_unmark,
        name="secrecy_unmark",
    ),
    path("sekretess/<int:pk>/utlamna/", secrecy_views.review_release, name="secrecy_release"),
    path("sekretess/<int:pk>/ladda-ned/", secrecy_views.release_download, name="secrecy_download"),
    path(
        "sekretess/<int:pk>/skarmdump/<int:shot_id>/",
        secrecy_views.review_screenshot,
        name="secrecy_screenshot",
    ),
    # Retention and disposal (arkivlagen 10 §): the schedule, disposal lists and legal holds.
    path("gallring/", disposal_views.schedule, name="retention"),
    path("gallring/regel/<int:pk>/", disposal_views.rule_edit, name="retention_rule"),
    path("gallring/forslag/", disposal_views.disposal_list, name="disposals"),
    path("gallring/forslag/nytt/", disposal_views.disposal_propose, name="disposal_propose"),
    path("gallring/forslag/<int:pk>/", disposal_views.disposal_detail, name="disposal"),
    path(
        "gallring/forslag/<int:pk>/post/<int:entry_id>/undanta/",
        disposal_views.disposal_exclude,
        name="disposal_exclude",
    ),
    path("gallring/forslag/<int:pk>/godkann/", disposal_views.disposal_approve, name="disposal_approve"),
    path("gallring/forslag/<int:pk>/avsla/", disposal_views.disposal_reject, name="disposal_reject"),
    path("gallring/sparr/", disposal_views.hold_list, name="holds"),
    path("gallring/sparr/ny/", disposal_views.hold_create, name="hold_create"),
    path("gallring/sparr/<int:pk>/hav/", disposal_views.hold_lift, name="hold_lift"),
]
