from django.urls import path

from governance import campaign_views, request_views, views

app_name = "governance"

urlpatterns = [
    path("organisation/", views.unit_list, name="unit_list"),
    path("organisation/enheter/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("organisation/installningar/", views.settings_edit, name="settings"),
    path("kontoprofilguide/", request_views.profile_guide, name="profile_guide"),
    path("begaranden/", request_views.request_list, name="request_list"),
    path("begaranden/ny/", request_views.request_create, name="request_create"),
    path("begaranden/kontroll/", request_views.request_check, name="request_check"),
    path("begaranden/<int:pk>/", request_views.request_detail, name="request_detail"),
    path("begaranden/<int:pk>/andra/", request_views.request_edit, name="request_edit"),
    path("begaranden/<int:pk>/skicka/", request_views.request_submit, name="request_submit"),
    path("begaranden/<int:pk>/granska/", request_views.request_review, name="request_review"),
    path("begaranden/<int:pk>/besluta/", request_views.request_decide, name="request_decide"),
    path("begaranden/<int:pk>/aterkalla/", request_views.request_withdraw, name="request_withdraw"),
    path("begaranden/<int:pk>/kasta/", request_views.request_discard, name="request_discard"),
    path("begaranden/<int:pk>/kommentera/", request_views.request_comment, name="request_comment"),
    path("begaranden/<int:pk>/beslut/", request_views.request_record, name="request_record"),
    # The campaign register (KAU-ADS).
    path("kampanjer/", campaign_views.campaign_list, name="campaign_list"),
    path("kampanjer/export.csv", campaign_views.campaign_export, name="campaign_export"),
    path("kampanjer/ny/", campaign_views.campaign_create, name="campaign_create"),
    path("kampanjer/<int:pk>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("kampanjer/<int:pk>/andra/", campaign_views.campaign_edit, name="campaign_edit"),
    path("kampanjer/<int:pk>/skicka/", campaign_views.campaign_submit, name="campaign_submit"),
    path("kampanjer/<int:pk>/besluta/", campaign_views.campaign_decide, name="campaign_decide"),
    path("kampanjer/<int:pk>/aterkalla/", campaign_views.campaign_withdraw, name="campaign_withdraw"),
    path("begaranden/<int:pk>/beslut.pdf", request_views.request_record_pdf, name="request_record_pdf"),
]
