from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tiercard.web"
    label = "web"
