from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "tiercard.cards"
    label = "cards"
