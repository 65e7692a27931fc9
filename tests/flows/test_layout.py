"""The shape of ``bot/flows``: no import loop, no import hidden in a function, nothing global."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.flows

FLOWS = Path(bot.flows.__file__).resolve().parent


def _modules() -> dict[str, ast.Module]:
    return {
        f"bot.flows.{path.stem}" if path.stem != "__init__" else "bot.flows": ast.parse(
            path.read_text(), str(path)
        )
        for path in sorted(FLOWS.glob("*.py"))
    }


def _imported(node: ast.AST) -> list[str]:
    """The bot.flows modules one import statement names."""
    names: list[str] = []
    if isinstance(node, ast.ImportFrom) and node.module is not None:
        if node.module == "bot.flows":
            names += [f"bot.flows.{alias.name}" for alias in node.names]
        elif node.module.startswith("bot.flows."):
            names.append(node.module)
    elif isinstance(node, ast.Import):
        names += [alias.name for alias in node.names if alias.name.startswith("bot.flows.")]
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {
            target
            for statement in tree.body
            for target in _imported(statement)
            if target in modules and target != name
        }
        for name, tree in modules.items()
        if name != "bot.flows"  # the package merges the features: it imports every one
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop, as the modules along it, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)) is not None:
            return found
    return None


def test_the_flows_import_one_another_without_a_loop() -> None:
    graph = _graph()
    assert graph["bot.flows._review"], "the graph was read: the review imports its helpers"
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_loop() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_flow_module_imports_another_flow() -> None:
    """Features start one another through the engine by pipeline name (``_runs``)."""
    features = {"_spec", "_review", "_followup", "_clarify", "_installations"}
    graph = _graph()
    for name in features:
        others = {f"bot.flows.{other}" for other in features - {name}}
        assert not graph[f"bot.flows.{name}"] & others, name


def test_no_import_hides_in_a_function_and_nothing_is_global() -> None:
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    assert not _imported(inner), f"{name}.{node.name} imports a flow module"
            assert not isinstance(node, ast.Global), f"{name} rebinds a global"
