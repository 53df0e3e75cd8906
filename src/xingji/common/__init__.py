"""Helpers shared by the domain apps' services (no models, no views)."""
