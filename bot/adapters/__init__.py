"""Adapters: the only place DBOS, PyGithub, GitPython and anthropic are imported."""
