from django.apps import AppConfig


class PrintingConfig(AppConfig):
    name = "tiercard.printing"
    label = "printing"
    default_auto_field = "django.db.models.BigAutoField"
