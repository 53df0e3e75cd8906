"""The login backend: Django's own, whose user of each request comes with its node's path.

``get_user`` (run once per request by the authentication middleware) reads
the user with its organization in one query and keeps the node's path as
``scope_path``, so that ``access.visible_organizations`` filters by that
path as a literal: the planner then estimates a subtree's size from its
statistics and uses the path index (``path LIKE '0001%'``), where a
subquery for the path leaves it guessing (a few hundred rows for 100,000)
and scanning. A user object loaded any other way has no ``scope_path`` and
is scoped by a subquery reading the path afresh.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from xingji.accounts.models import User


class ScopedModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("organization").get(pk=user_id)
        except User.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        user.scope_path = user.organization.path if user.organization is not None else None
        return user
