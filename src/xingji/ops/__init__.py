"""Operating an installation: ``xingji demo``, ``serve``, ``backup``, ``restore``.

A Django app only for its management commands; it has no models.
"""
