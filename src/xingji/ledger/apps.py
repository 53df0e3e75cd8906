from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "xingji.ledger"
    verbose_name = "晋位争星与整改台账"
