"""The REST API root: /api/v1/."""

from ninja import NinjaAPI

api = NinjaAPI(title="tiercard API", version="1", urls_namespace="api")
