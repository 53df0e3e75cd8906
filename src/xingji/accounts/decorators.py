"""Access decorators shared by the views of every app.

``login_required`` is Django's, plus the second factor: a user who must pass
TOTP (``xingji.accounts.otp.otp_required``) and whose session has not is sent
back to the login page, as the admin site does. Scoping to the user's subtree
is not decided here but in each view, through ``xingji.accounts.access``.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login

from xingji.accounts.otp import otp_verified


def login_required(view):
    """Let through only an active, logged-in user whose session passed any second factor it needs."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_authenticated and otp_verified(request)):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
