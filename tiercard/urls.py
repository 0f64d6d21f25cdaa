"""URL map: the web app at /, the REST API at /api/v1/, Django admin at /admin/."""

from django.contrib import admin
from django.urls import include, path

from tiercard.api.router import api
from tiercard.web.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("tiercard.web.urls")),
]
