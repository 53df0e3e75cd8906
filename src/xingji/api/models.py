"""API clients (接口客户端), their use and the idempotency keys of their writes.

* ``ApiClient`` — one outside system allowed to read (and maybe write) one
  node's subtree. Its token is shown once, when it is created; only its
  SHA-256 is stored, with a short public prefix to find the row. The client
  acts as a service account of its own (``user``), attached to the node with
  a role, so that the web's access policy scopes it and the audit log names it.
* ``ApiRequestLog`` — one row per request that presented a token (接口调用记录):
  the light record of every use. An audit entry per read would serialize all
  reads on the audit chain's lock; writes are audited by the services they call.
* ``IdempotencyKey`` — a POST's ``Idempotency-Key`` and the answer it got, so
  that a retried sync is answered again instead of writing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from xingji.orgs.models import Organization


class ApiClient(models.Model):
    name = models.CharField("名称", max_length=100, help_text="对接的系统，如 某省智慧党建平台")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name="党组织",
        help_text="接口只能读写这个组织及其下级组织",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        verbose_name="接口账户",
        help_text="接口以这个账户的身份访问，审计日志记在它名下",
    )
    scopes = models.JSONField("权限范围", default=list)
    token_prefix = models.CharField("令牌前缀", max_length=16, unique=True, editable=False)
    token_hash = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField("失效时间")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤销人",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "接口客户端"
        verbose_name_plural = "接口客户端"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.token_prefix}）"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    @property
    def state_label(self) -> str:
        if self.revoked_at is not None:
            return "已撤销"
        if self.expires_at <= timezone.now():
            return "已过期"
        return "有效"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiRequestLog(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="requests", verbose_name="接口客户端")
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    method = models.CharField("方法", max_length=8)
    path = models.CharField("地址", max_length=300)
    status = models.PositiveSmallIntegerField("状态码")

    class Meta:
        verbose_name = "接口调用记录"
        verbose_name_plural = "接口调用记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status}"


class IdempotencyKey(models.Model):
    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="idempotency_keys", verbose_name="接口客户端"
    )
    key = models.CharField("幂等键", max_length=100)
    method = models.CharField("方法", max_length=8)
    path = models.CharField("地址", max_length=300)
    request_hash = models.CharField("请求摘要", max_length=64)
    status = models.PositiveSmallIntegerField("状态码")
    body = models.JSONField("应答")
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "幂等键"
        verbose_name_plural = "幂等键"
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_key_once_per_client"),
        ]

    def __str__(self) -> str:
        return self.key
