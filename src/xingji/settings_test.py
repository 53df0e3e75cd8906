"""Settings for the test suite: the production settings, made fast.

``DATABASE_URL`` still chooses the database, so the same suite runs on SQLite
(default, in memory) and on PostgreSQL.
"""

import os
import tempfile
from pathlib import Path

# Before the settings read them: keep the user's own data directory untouched,
# and have a key when DATABASE_URL points at PostgreSQL with DEBUG off.
os.environ.setdefault("XINGJI_DATA_DIR", str(Path(tempfile.gettempdir()) / "xingji-test-data"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
# A connection per request, as before persistent connections became the default: the threaded
# tests open their own connections and must not leave them to the test database's teardown.
os.environ.setdefault("XINGJI_DB_CONN_MAX_AGE", "0")

from xingji.settings import *  # noqa: E402, F403
from xingji.settings import STATIC_ROOT, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test client speaks plain HTTP; redirecting it to HTTPS would hide every page.
SECURE_SSL_REDIRECT = False
# Whitenoise warns about a missing static root on every test client request.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Tasks (rating runs) run in the caller that enqueues them (after commit), not by a worker;
# the tests of the database queue and its workers choose that backend themselves.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The navigation's counts of what is due are computed on every page, not cached for a minute, so that
# a page's query count does not depend on an earlier request (xingji.web.due).
XINGJI_DUE_COUNT_SECONDS = 0
