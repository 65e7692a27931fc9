"""A scripted Anthropic-compatible model server: the Messages API answered from a YAML script.

The real ``anthropic`` SDK talks to it through ``base_url``, so the offline demo and the
end-to-end tests exercise the same code path as production. Format: ``docs/scripted-model.md``.
"""

from __future__ import annotations

from bot.scripted._engine import ErrorReply, Reply, ScriptedModel
from bot.scripted._log import LoggedRequest, RequestLog
from bot.scripted._script import (
    Conditions,
    Fault,
    FaultRate,
    ReplyBlock,
    Script,
    ScriptError,
    ToolUse,
    Turn,
    load_script,
    parse_script,
)
from bot.scripted._server import (
    LOG_PATH,
    ScriptedModelServer,
    base_url_of,
    bind_socket,
    build_app,
    make_server,
    start_scripted_model,
)
from bot.scripted._tokens import count_text_tokens

__all__ = [
    "LOG_PATH",
    "Conditions",
    "ErrorReply",
    "Fault",
    "FaultRate",
    "LoggedRequest",
    "Reply",
    "ReplyBlock",
    "RequestLog",
    "Script",
    "ScriptError",
    "ScriptedModel",
    "ScriptedModelServer",
    "ToolUse",
    "Turn",
    "base_url_of",
    "bind_socket",
    "build_app",
    "count_text_tokens",
    "load_script",
    "make_server",
    "parse_script",
    "start_scripted_model",
]
