"""The pages that manage API clients (数据接口): list, create (the token shown once), detail, revoke.

For the committee office (within its subtree) and administrators; 403 for
the other roles, 404 for a client outside the manager's subtree. The token
is shown only in the answer to the creating POST (``no-store``), never kept.
"""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xingji.accounts.decorators import login_required
from xingji.api import scopes
from xingji.api.access import MANAGERS_ONLY, access_api_client, can_manage_api_clients
from xingji.api.forms import ApiClientForm
from xingji.api.selectors import api_clients_of
from xingji.api.services import api_client_create, api_client_revoke
from xingji.common.forms import add_service_error

RECENT_REQUESTS = 50


def _require_manager(user) -> None:
    if not can_manage_api_clients(user):
        raise PermissionDenied(MANAGERS_ONLY)


@login_required
@require_GET
def client_list(request):
    _require_manager(request.user)
    return render(request, "api/client_list.html", {"clients": api_clients_of(request.user)})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def client_create(request):
    _require_manager(request.user)
    form = ApiClientForm(request.POST if request.method == "POST" else None, manager=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires_at = timezone.make_aware(datetime.combine(data["expires_on"], time.min))
        try:
            created = api_client_create(
                name=data["name"],
                organization=data["organization"],
                scopes=list(data["scopes"]),
                expires_at=expires_at,
                role=data["role"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            # Rendered in the answer to the POST, never redirected: the token is in no session, message or URL.
            return render(
                request,
                "api/client_detail.html",
                {"client": created.client, "token": created.token, **_detail_context(created.client)},
            )
    return render(
        request,
        "web/form_page.html",
        {
            "form": form,
            "title": "新建接口客户端",
            "note": "令牌只在创建后显示一次，请立即复制保存；遗失后只能撤销并重新创建。",
            "cancel_url": reverse("api_clients:client_list"),
            "submit": "创建并显示令牌",
        },
    )


def _detail_context(client) -> dict:
    return {
        "scope_labels": [scopes.label(code) for code in client.scopes],
        "requests": client.requests.all()[:RECENT_REQUESTS],
    }


@login_required
@require_GET
def client_detail(request, pk: int):
    client = access_api_client(request.user, pk)
    return render(request, "api/client_detail.html", {"client": client, **_detail_context(client)})


@login_required
@require_POST
def client_revoke(request, pk: int):
    client = access_api_client(request.user, pk)
    try:
        api_client_revoke(client=client, actor=request.user)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已撤销接口客户端：{client.name}")
    return redirect("api_clients:client_detail", pk=client.pk)
