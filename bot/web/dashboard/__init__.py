"""The run dashboard: the list of runs, one run's page with its timeline, live updates, and
who may look (``SPECBOT_DASHBOARD_ACCESS``)."""

from bot.web.dashboard._access import build_access
from bot.web.dashboard._pages import dashboard_router
from bot.web.dashboard._viewer import Access, Viewer

__all__ = ["Access", "Viewer", "build_access", "dashboard_router"]
