from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tiercard.demo"
    label = "demo"
