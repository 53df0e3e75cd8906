"""``xingji worker`` (issue 13 item 3): listed with a Chinese line, its help and errors in Chinese, ``--data`` taken."""

from __future__ import annotations

import subprocess
import sys

from tests.ops.conftest import run_xingji

from xingji.cli import USER_COMMANDS


def test_worker_is_a_user_command_with_a_chinese_line():
    assert USER_COMMANDS["worker"].startswith("运行任务队列的工作进程")
    completed = subprocess.run([sys.executable, "-m", "xingji", "--help"], capture_output=True, timeout=60, check=True)
    assert "worker" in completed.stdout.decode("utf-8")


def test_worker_help_is_in_chinese_and_names_its_options(tmp_path):
    run = run_xingji("worker", "--help", "--data", tmp_path / "data")

    assert run.returncode == 0, run.stderr
    assert "运行任务队列的工作进程" in run.stdout
    for option, words in {
        "--batch": "做完队列中现有的任务后退出",
        "--interval": "队列为空时每隔多少秒查看一次",
        "--max-tasks": "执行 N 个任务后退出",
        "--worker-id": "工作进程的标识",
        "--recover-every": "中断的全面评定",
    }.items():
        assert option in run.stdout
        assert words in run.stdout


def test_a_batch_worker_on_an_empty_queue_says_so_and_stops(tmp_path):
    data = tmp_path / "data"
    assert run_xingji("migrate", "--data", data).returncode == 0

    run = run_xingji("worker", "--batch", "--worker-id", "w-test", "--data", data)

    assert run.returncode == 0, run.stderr
    assert "工作进程 w-test 已启动" in run.stdout
    assert "工作进程 w-test 已停止（执行了 0 个任务）" in run.stdout


def test_a_wrong_option_is_refused_in_chinese(tmp_path):
    data = tmp_path / "data"
    assert run_xingji("migrate", "--data", data).returncode == 0

    run = run_xingji("worker", "--interval", "soon", "--data", data)

    assert run.returncode == 1
    assert "--interval 应为秒数（如 1 或 0.5），不是“soon”" in run.stderr
