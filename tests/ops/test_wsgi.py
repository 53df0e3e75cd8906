"""The WSGI module leaves what the process loaded to start out of the garbage collector's way."""

from __future__ import annotations

import gc
import importlib
import sys


def test_importing_the_wsgi_app_freezes_what_it_loaded_the_urlconf_included():
    gc.unfreeze()
    sys.modules.pop("xingji.wsgi", None)
    try:
        wsgi = importlib.import_module("xingji.wsgi")

        assert gc.get_freeze_count() > 0
        assert wsgi.URL_PATTERNS  # the views' modules were loaded before the freeze
        assert callable(wsgi.application)
    finally:
        gc.unfreeze()
