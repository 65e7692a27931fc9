"""specbot's App running offline in one process (the demo and the end-to-end tests)."""

from bot.offline._demo import USER_TOKEN, DemoContent, DemoReport, model_cost, run_demo
from bot.offline._stack import APP_ID, WEBHOOK_SECRET, OfflineStack, offline_settings, start_stack

__all__ = [
    "DemoContent",
    "DemoReport",
    "USER_TOKEN",
    "model_cost",
    "run_demo",
    "APP_ID",
    "WEBHOOK_SECRET",
    "OfflineStack",
    "offline_settings",
    "start_stack",
]
