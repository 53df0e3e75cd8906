"""django-tasks' database backend (the task queue's rows), named in Chinese for the back office.

``INSTALLED_APPS`` lists this class instead of the app's own; like the
lockout and second-factor apps (``xingji.accounts.vendor_apps``), only the
names shown are changed, so the app is asked no migration.
"""

from django_tasks_db.apps import TasksAppConfig

from xingji.accounts.vendor_apps import name_models


class TasksDatabaseConfig(TasksAppConfig):
    """The queue of long work (全面评定 runs, reminders), taken by ``xingji worker``."""

    verbose_name = "任务队列"

    def ready(self) -> None:
        super().ready()
        name_models("django_tasks_database", {"dbtaskresult": "任务记录"})
