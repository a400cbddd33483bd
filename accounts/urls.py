from django.urls import path

from accounts import ambassador_views, coverage_views, followup_views, views

app_name = "accounts"

urlpatterns = [
    # The registry and the account page.
    path("", views.account_list, name="list"),
    path("export.csv", views.account_export, name="export"),
    path("export.xlsx", views.account_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("registrera/", views.account_register, name="register"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/bekrafta/", views.account_confirm, name="confirm"),
    # Owner, deputies, major changes and absences (KAU-RESP-OWNER, KAU-RESP-DAILY, KAU-STARTPAGE).
    path("<int:pk>/ansvariga/", coverage_views.account_people, name="people"),
    path("<int:pk>/uppgifter/", coverage_views.account_details, name="details"),
    path("franvaro/", coverage_views.absence_list, name="absences"),
    path("franvaro/<int:pk>/avboka/", coverage_views.absence_cancel, name="absence_cancel"),
    # Follow-up and closing (KAU-FOLLOWUP, KAU-CLOSE).
    path("<int:pk>/uppfoljning/", followup_views.followup_create, name="followup"),
    path("<int:pk>/avveckla/", followup_views.account_closing, name="closing"),
    path("avveckling/", followup_views.closing_proposals, name="closing_candidates"),
    path("jamfor/", followup_views.compare, name="compare"),
    # Student ambassadors and bloggers on assignment (KAU-PRIVATE, KTH-BLOG).
    path("ambassadorer/", ambassador_views.ambassador_list, name="ambassadors"),
    path("ambassadorer/foresla/", ambassador_views.ambassador_propose, name="ambassador_propose"),
    path("ambassadorer/<int:pk>/", ambassador_views.ambassador_detail, name="ambassador_detail"),
    path("ambassadorer/<int:pk>/beslut/", ambassador_views.ambassador_decide, name="ambassador_decide"),
    path("ambassadorer/<int:pk>/avsluta/", ambassador_views.ambassador_end, name="ambassador_end"),
]
