from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tiercard.core"
    label = "core"
