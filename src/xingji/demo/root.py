"""The demo's root organization (安阳市直机关工委): its code and name, and finding it.

Apart from ``data``, which builds the tree, so that the loaders that fill
the demo's year under that root (``records``) find it without importing
``data`` back.
"""

from __future__ import annotations

from xingji.orgs.models import Organization

DEMO_ROOT_CODE = "AY"
DEMO_ROOT_NAME = "安阳市直机关工委"


def demo_root() -> Organization | None:
    return Organization.objects.filter(code=DEMO_ROOT_CODE, depth=1).first()


def loaded_demo_root() -> Organization:
    """The root of the demo, which must be loaded already."""
    root = demo_root()
    if root is None:
        raise LookupError("the demo is not loaded: no organization coded DEMO_ROOT_CODE at the top")
    return root
