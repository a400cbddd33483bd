from django.urls import path

from governance import views

app_name = "governance"

urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("enheter/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("installningar/", views.settings_edit, name="settings"),
]
