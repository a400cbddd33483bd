from django.urls import path

from accounts import coverage_views, followup_views, views

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
]
