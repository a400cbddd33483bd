from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demonstration data: above every other app, because it fills all of them."""

    name = "demo"
    verbose_name = _("Demonstration data")
