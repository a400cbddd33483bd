"""The connection pages: connecting an account, its health, and the social media lead's overview."""

from django.urls import path

app_name = "connectors"

urlpatterns: list = []
