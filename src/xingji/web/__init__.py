"""Shared web layer: base templates, vendored static assets, view helpers."""
