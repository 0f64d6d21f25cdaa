from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tiercard.api"
    label = "api"
