"""Receipt numbers of objections: made once for the filer, stored only as a digest.

Below both the services (which issue them) and the selectors (which find an
objection by one), so neither has to reach the other for it.
"""

from __future__ import annotations

import hashlib
import secrets

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or copied by hand


def new_receipt() -> str:
    """A receipt number: 16 characters of 32 (80 bits), as XXXX-XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def receipt_digest(receipt: str) -> str:
    normalized = "".join(ch for ch in (receipt or "").upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()
