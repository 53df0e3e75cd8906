"""A publication confirmed on purpose: a digest of what was previewed, and a typed phrase when warned.

A service that makes something public (a notice, the year's results) first
has its preview read by a selector; the confirmation page shows it with a
digest of its content (``preview_digest``). The service reads the preview
again inside its transaction and, through ``check_confirmation``, refuses

* when the digest the page carried differs from the preview's now (the list
  changed between reading and confirming), and
* when the preview carries a warning (a quota broken) and the user did not
  type ``CONFIRMATION_PHRASE`` — the check is the service's, not only the form's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django import forms

from xingji.common.errors import TransitionRefused

#: What the user types to publish despite a warning.
CONFIRMATION_PHRASE = "确认发布"


def preview_digest(content: Any) -> str:
    """A SHA-256 of ``content`` (JSON-able: ids, levels, names) in a canonical form: key order does not count."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_confirmation(*, warnings: Sequence[str], confirmation: str, digest: str, expected_digest: str) -> None:
    """Refuse (``TransitionRefused``) a stale preview, or a warned one without the typed phrase.

    ``digest`` is what the confirmation page carried ("" when the caller showed no preview: a script
    or a test that reads the warnings itself); ``expected_digest`` the preview's now.
    """
    if digest and digest != expected_digest:
        raise TransitionRefused("确认后待发布的内容已发生变化，请重新核对后再确认", code="preview_changed")
    if warnings and (confirmation or "").strip() != CONFIRMATION_PHRASE:
        raise TransitionRefused(
            f"有{len(warnings)}项比例提示：{'；'.join(warnings)}。核对无误后请输入“{CONFIRMATION_PHRASE}”再发布",
            code="confirmation_required",
        )


class ConfirmationForm(forms.Form):
    """The confirmation page's own fields: the preview's digest, and the typed phrase when warned."""

    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    confirmation = forms.CharField(
        label="确认输入",
        required=False,
        max_length=20,
        help_text=f"存在比例提示时，请输入“{CONFIRMATION_PHRASE}”",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
