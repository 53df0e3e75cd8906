"""``/api/v1/`` (django-ninja) and ``/api/clients/`` (the pages that manage clients).

Each API view is wrapped once here: it records the request of a known client
(``ApiRequestLog``), and answers a GET with an ``ETag`` — 304 when the
client's ``If-None-Match`` names the same one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.urls import URLPattern, include, path

from xingji.api import views
from xingji.api.endpoints import api
from xingji.api.errors import ApiError
from xingji.api.services import api_request_record


def etag_of(response: HttpResponse) -> str:
    return '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'


def matches(header: str, etag: str) -> bool:
    candidates = [part.strip().removeprefix("W/") for part in header.split(",")]
    return etag in candidates or "*" in candidates


@cache
def query_parameters() -> list[tuple[str, re.Pattern[str], frozenset[str]]]:
    """Each operation's method, path and the query parameters it declares, read from the OpenAPI document."""
    found = []
    for path_text, operations in api.get_openapi_schema()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path_text)) + "$")
        for method, operation in operations.items():
            names = frozenset(
                parameter["name"] for parameter in operation.get("parameters", []) if parameter.get("in") == "query"
            )
            found.append((method.upper(), pattern, names))
    return found


def unknown_parameters(request: HttpRequest) -> list[str]:
    for method, pattern, names in query_parameters():
        if method == request.method and pattern.match(request.path):
            return sorted(set(request.GET) - names)
    return []


def unknown_parameters_response(names: list[str]) -> HttpResponse:
    error = ApiError(
        422,
        "unknown_parameter",
        "请求中有接口不认识的查询参数",
        [{"location": ["query", name], "message": "不允许的参数", "code": "extra_forbidden"} for name in names],
    )
    return JsonResponse(error.body(), status=error.status, json_dumps_params={"ensure_ascii": False})


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unknown = unknown_parameters(request)
        response = unknown_parameters_response(unknown) if unknown else view(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and not getattr(response, "streaming", False):
            etag = etag_of(response)
            if matches(request.headers.get("If-None-Match", ""), etag):
                response = HttpResponseNotModified()
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
        client = getattr(request, "api_client", None)
        if client is not None:
            api_request_record(
                client=client, method=request.method or "", path=request.path, status=response.status_code
            )
        return response

    return wrapped


def _wrapped(patterns: list[Any]) -> list[Any]:
    return [
        URLPattern(pattern.pattern, api_view(pattern.callback), pattern.default_args, pattern.name)
        if isinstance(pattern, URLPattern)
        else pattern
        for pattern in patterns
    ]


api_patterns, api_app_name, api_namespace = api.urls

client_patterns = [
    path("", views.client_list, name="client_list"),
    path("new/", views.client_create, name="client_create"),
    path("<int:pk>/", views.client_detail, name="client_detail"),
    path("<int:pk>/revoke/", views.client_revoke, name="client_revoke"),
]

urlpatterns = [
    path("v1/", include((_wrapped(list(api_patterns)), api_app_name), namespace=api_namespace)),
    path("clients/", include((client_patterns, "api_clients"))),
]
