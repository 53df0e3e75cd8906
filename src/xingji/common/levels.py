"""The levels' plain names: those of an organization never rated under a scheme, and of "never rated".

A scheme names its own levels (``Scheme.level_name``); where no scheme
applies, the pages use these. Level 0 is the schemes' own 不定星级; 未定级 is
only "never rated" (no level at all).
"""

from __future__ import annotations

from collections.abc import Mapping

PLAIN_LEVEL_NAMES: Mapping[int, str] = {0: "不定星级", 1: "一星级", 2: "二星级", 3: "三星级", 4: "四星级", 5: "五星级"}
NEVER_RATED = "未定级"


def plain_level_name(level: int | None, names: Mapping[int, str] | None = None) -> str:
    """The level's name in ``names`` (a scheme's), else its plain name; ``NEVER_RATED`` for None."""
    if level is None:
        return NEVER_RATED
    return (names or {}).get(level) or PLAIN_LEVEL_NAMES.get(level) or f"{level}星级"
