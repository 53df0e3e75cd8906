from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "xingji.audit"
    verbose_name = "审计日志"
