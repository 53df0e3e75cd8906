"""Survey codes (测评码) and receipt codes (回执码): random, in Crockford base32, stored as SHA-256.

A survey code has 13 characters (65 random bits), shown in groups of 4-4-5 so
that it can be typed from a paper slip; typing is forgiving (case, spaces,
dashes, and the letters I/L/O read as 1/1/0).
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 13
RECEIPT_LENGTH = 10
_TYPING = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _random(length: int) -> str:
    number = secrets.randbits(5 * length)
    return "".join(ALPHABET[(number >> (5 * index)) & 31] for index in range(length))


def new_code() -> str:
    """A new survey code, 13 characters, 65 bits."""
    return _random(CODE_LENGTH)


def new_receipt() -> str:
    """A new receipt code, 10 characters, 50 bits: random, not derived from the survey code."""
    return _random(RECEIPT_LENGTH)


def grouped(code: str) -> str:
    """``ABCD-EFGH-JKMNP``: how a code is printed."""
    if len(code) == CODE_LENGTH:
        return f"{code[:4]}-{code[4:8]}-{code[8:]}"
    return f"{code[:5]}-{code[5:]}"


def normalize(text: str) -> str:
    """The code as typed, without separators, upper case, with look-alike letters read as digits."""
    cleaned = "".join(character for character in (text or "").upper() if character.isalnum())
    return cleaned.translate(_TYPING)


def digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode("ascii", "replace")).hexdigest()


def looks_valid(code: str) -> bool:
    normalized = normalize(code)
    return len(normalized) == CODE_LENGTH and all(character in ALPHABET for character in normalized)
