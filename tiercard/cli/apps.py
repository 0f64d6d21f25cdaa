from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "tiercard.cli"
    label = "tiercard_cli"
