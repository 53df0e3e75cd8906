"""xingji (星级) — star-rating campaigns for grassroots Party organizations."""

__version__ = "0.1.0"
