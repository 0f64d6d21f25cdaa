from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "tiercard.analytics"
    label = "analytics"
