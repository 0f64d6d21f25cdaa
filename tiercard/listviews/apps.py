from django.apps import AppConfig


class ListviewsConfig(AppConfig):
    name = "tiercard.listviews"
    label = "listviews"
    default_auto_field = "django.db.models.BigAutoField"
