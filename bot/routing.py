"""Route webhook events to the feature handlers registered for them.

One ``Router`` per feature module, merged in one expression by the entrypoint
(``Router(spec_intake.router, review.router, ...)``). Routes match the event name and, at most,
one payload key (usually ``action``). Handlers run in an unspecified order, so they must not
depend on each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from bot.webhooks import Event

ContextT = TypeVar("ContextT")
Handler = Callable[[Event, ContextT], Any]
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


class Router(Generic[ContextT]):
    """Map ``(event name, optional one-key payload match)`` to handlers."""

    def __init__(self, *others: Router[ContextT]) -> None:
        self._shallow: dict[str, list[Handler[ContextT]]] = {}
        self._deep: dict[str, dict[str, dict[Any, list[Handler[ContextT]]]]] = {}
        for other in others:
            self._merge(other)

    def _merge(self, other: Router[ContextT]) -> None:
        for name, handlers in other._shallow.items():
            self._shallow.setdefault(name, []).extend(handlers)
        for name, by_key in other._deep.items():
            for key, by_value in by_key.items():
                for value, handlers in by_value.items():
                    target = self._deep.setdefault(name, {}).setdefault(key, {})
                    target.setdefault(value, []).extend(handlers)

    def add(self, handler: Handler[ContextT], event_name: str, **data_detail: Any) -> None:
        """Register ``handler`` for ``event_name``, optionally matching one payload key."""
        if len(data_detail) > 1:
            raise TypeError(f"routes match at most one payload key, got {sorted(data_detail)}")
        if not data_detail:
            self._shallow.setdefault(event_name, []).append(handler)
            return
        [(key, value)] = data_detail.items()
        by_value = self._deep.setdefault(event_name, {}).setdefault(key, {})
        by_value.setdefault(value, []).append(handler)

    def register(self, event_name: str, **data_detail: Any) -> Callable[[HandlerT], HandlerT]:
        """Decorator form of ``add``; returns the function unchanged."""

        def decorator(func: HandlerT) -> HandlerT:
            self.add(func, event_name, **data_detail)
            return func

        return decorator

    def fetch(self, event: Event) -> list[Handler[ContextT]]:
        """Every handler registered for ``event``, without calling any."""
        found = list(self._shallow.get(event.name, []))
        for key, by_value in self._deep.get(event.name, {}).items():
            value = event.payload.get(key)
            try:
                found.extend(by_value.get(value, []))
            except TypeError:  # an unhashable payload value (list, dict) matches no route
                continue
        return found

    def dispatch(self, event: Event, context: ContextT) -> list[Any]:
        """Call every handler registered for ``event`` with ``context``; return their results."""
        return [handler(event, context) for handler in self.fetch(event)]

    def event_names(self) -> Iterable[str]:
        """The event names some handler listens to (for an App manifest, say)."""
        return sorted(set(self._shallow) | set(self._deep))
