"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiercard.settings")
application = get_wsgi_application()

from tiercard.core.serving import settle_heap  # noqa: E402 (needs the loaded app)

settle_heap()
