"""The offline demo's content: a small Python repository, its spec issues and the model script.

``specbot demo`` seeds ``demo_repo_dir()`` into localhub, opens ``demo_spec()`` labelled
``spec`` and serves ``demo_script_path()`` with the scripted model. The script's conventions
(role headings, the task markers ``# Implement the plan`` and ``# Follow-up round``, and the
first review round answering once) are described at the top of ``data/script.yaml``.
"""

from bot.demo._data import (
    DemoDataError,
    DemoSpec,
    demo_data_dir,
    demo_question,
    demo_repo_dir,
    demo_script_path,
    demo_spec,
    demo_spec_not_ready,
)

__all__ = [
    "DemoDataError",
    "DemoSpec",
    "demo_data_dir",
    "demo_question",
    "demo_repo_dir",
    "demo_script_path",
    "demo_spec",
    "demo_spec_not_ready",
]
