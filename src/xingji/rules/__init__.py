"""The rating engine: pure Python, no Django.

A scheme (TOML, see ``schemes/``) holds the criteria, bands, adjustments,
level rules and quotas; the engine applies it to organizations and explains
every point. Scores are integers in hundredths of a point throughout, so the
arithmetic is exact; they are turned back into ``Decimal`` only at the edges.
"""

from xingji.rules.engine import Engine, Rating, Reason, Result, rate
from xingji.rules.inputs import InputError, Organization, parse_organizations
from xingji.rules.scheme import Scheme, SchemeError, list_schemes, load_scheme

__all__ = [
    "Engine",
    "InputError",
    "Organization",
    "Rating",
    "Reason",
    "Result",
    "Scheme",
    "SchemeError",
    "list_schemes",
    "load_scheme",
    "parse_organizations",
    "rate",
]
