"""WSGI entry point: ``gunicorn xingji.wsgi``."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xingji.settings")

application = get_wsgi_application()

# What the process loads to start — Django, the apps, and every view's module (the URLconf, which the first
# request would load) — lives as long as the process: out of the collector's way, so that a full collection
# walks only what requests allocate. Its pauses (40 ms a full collection with nothing frozen) were what made
# the slowest ballots of a meeting voting at once slower than a bare view's (``bench/ballots.py``).
URL_PATTERNS = get_resolver().url_patterns
gc.freeze()
