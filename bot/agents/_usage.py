"""Usage accounting per call, per agent and per run; prices; run budgets."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.agents._model import Usage
from bot.settings import Settings

log = logging.getLogger(__name__)
_DATED = re.compile(r"(-\d{8}|\[1m\])$")


class UnknownModelPriceError(LookupError):
    """The price table has no entry for a model."""


class Rates(BaseModel):
    """USD per million tokens of each kind."""

    model_config = ConfigDict(frozen=True)

    input: float
    output: float
    cache_write: float  # the 5-minute entries specbot writes
    cache_read: float
    cache_write_1h: float | None = None

    def charge(self, usage: Usage) -> float:
        """What ``usage`` costs at these rates, in USD."""
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_creation_input_tokens * self.cache_write
            + usage.cache_read_input_tokens * self.cache_read
        ) / 1_000_000


class LongContextRates(Rates):
    """Rates for every token of a request whose input is above ``above_input_tokens``."""

    above_input_tokens: int


class Price(Rates):
    """A model's rates, and its long-context rates where it has them."""

    long_context: LongContextRates | None = None

    def cost(self, usage: Usage) -> float:
        """What one call's ``usage`` costs in USD (long-context rates above the threshold)."""
        long = self.long_context
        if long is not None and usage.context_tokens > long.above_input_tokens:
            return long.charge(usage)
        return self.charge(usage)


class PriceTable:
    """Prices by model name; dated model ids (``-20250929``) use their family's price."""

    def __init__(self, prices: dict[str, Price]) -> None:
        self._prices = prices

    @classmethod
    def bundled(cls) -> PriceTable:
        """The table shipped in the package (``bot/agents/data/prices.json``)."""
        raw = resources.files("bot.agents").joinpath("data/prices.json").read_text("utf-8")
        models = json.loads(raw)["models"]
        return cls({name: Price.model_validate(p) for name, p in models.items()})

    def most_expensive(self) -> Price:
        """The highest price in the table, per kind (a safe guess for an unknown model)."""
        rates: list[Rates] = list(self._prices.values())
        rates += [p.long_context for p in self._prices.values() if p.long_context is not None]
        return Price(
            input=max(p.input for p in rates),
            output=max(p.output for p in rates),
            cache_write=max(p.cache_write for p in rates),
            cache_read=max(p.cache_read for p in rates),
        )

    def is_known(self, model: str) -> bool:
        """Whether the table prices ``model``."""
        return model in self._prices or _DATED.sub("", model) in self._prices

    def price(self, model: str) -> Price:
        """The price of ``model``, or ``UnknownModelPriceError`` naming the known models."""
        for name in (model, _DATED.sub("", model)):
            if name in self._prices:
                return self._prices[name]
        known = ", ".join(sorted(self._prices))
        raise UnknownModelPriceError(f"no price for model {model!r}; known models: {known}")


class CallRecord(BaseModel):
    """One accounted model call."""

    model_config = ConfigDict(frozen=True)

    agent: str
    model: str
    usage: Usage
    cost_usd: float
    priced: bool = Field(
        default=True, description="False: the model is not in the price table; cost is a guess."
    )


class UsageLedger:
    """Thread-safe totals of every call in a run, by agent and overall."""

    def __init__(self, prices: PriceTable, *, parent: UsageLedger | None = None) -> None:
        self.prices = prices
        self._calls: list[CallRecord] = []
        self._unpriced: set[str] = set()
        self._lock = threading.Lock()
        self._parent = parent

    def branch(self) -> UsageLedger:
        """A ledger of one member's calls that records each of them here too."""
        return UsageLedger(self.prices, parent=self)

    def restore(self, records: Iterable[CallRecord]) -> None:
        """Account calls made (and paid for) by an earlier start of the run."""
        for record in records:
            self._add(record)

    def _add(self, record: CallRecord) -> None:
        with self._lock:
            self._calls.append(record)
        if self._parent is not None:
            self._parent._add(record)

    def record(self, agent: str, model: str, usage: Usage) -> CallRecord:
        """Account one call and return its record with its cost.

        The call is already paid for, so a model missing from the price table must not lose
        it: it is priced at the table's highest rates (budgets then err on the safe side) and
        marked ``priced=False``.
        """
        known = self.prices.is_known(model)
        price = self.prices.price(model) if known else self.prices.most_expensive()
        if not known:
            self._warn_once(model)
        entry = CallRecord(
            agent=agent, model=model, usage=usage, cost_usd=price.cost(usage), priced=known
        )
        self._add(entry)
        return entry

    def _warn_once(self, model: str) -> None:
        with self._lock:
            if model in self._unpriced:
                return
            self._unpriced.add(model)
        log.warning(
            "model %r is not in the price table: its calls are priced at the table's highest "
            "rates, so costs and cost budgets err on the safe side",
            model,
        )

    def calls(self) -> list[CallRecord]:
        """Every call so far, in order."""
        with self._lock:
            return list(self._calls)

    def usage(self, agent: str | None = None) -> Usage:
        """Total usage of the run, or of one agent."""
        return sum((c.usage for c in self.calls() if agent in (None, c.agent)), Usage())

    def cost_usd(self, agent: str | None = None) -> float:
        """Total cost of the run, or of one agent, in USD."""
        return sum(c.cost_usd for c in self.calls() if agent in (None, c.agent))

    def by_agent(self) -> dict[str, Usage]:
        """Usage per agent name."""
        totals: dict[str, Usage] = {}
        for call in self.calls():
            totals[call.agent] = totals.get(call.agent, Usage()) + call.usage
        return totals


class RunBudget(BaseModel):
    """Limits for a whole run; ``None`` means no limit of that kind."""

    model_config = ConfigDict(frozen=True)

    max_tokens: int | None = Field(default=None, ge=1)
    max_cost_usd: float | None = Field(default=None, gt=0)
    max_seconds: float | None = Field(default=None, gt=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> RunBudget:
        """The budget set by ``SPECBOT_RUN_MAX_TOKENS``, ``_COST_USD`` and ``_SECONDS``."""
        return cls(
            max_tokens=settings.run_max_tokens,
            max_cost_usd=settings.run_max_cost_usd,
            max_seconds=settings.run_max_seconds,
        )


class BudgetExceededError(Exception):
    """A run used up one of its budgets; the run stops cleanly with this message."""

    def __init__(self, kind: Literal["tokens", "cost", "time"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


class BudgetGuard:
    """Checks a run's spending against its budget; call ``check`` before each model call."""

    def __init__(
        self,
        budget: RunBudget,
        ledger: UsageLedger,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget = budget
        self.ledger = ledger
        self._clock = clock
        self.started_at = clock()

    def check(self) -> None:
        """Raise ``BudgetExceededError`` if the run has reached any of its limits."""
        budget = self.budget
        if budget.max_tokens is not None:
            used = self.ledger.usage().effective_tokens
            if used >= budget.max_tokens:
                raise BudgetExceededError(
                    "tokens",
                    f"run token budget reached: {used} of {budget.max_tokens} effective tokens",
                )
        if budget.max_cost_usd is not None:
            spent = self.ledger.cost_usd()
            if spent >= budget.max_cost_usd:
                raise BudgetExceededError(
                    "cost", f"run cost budget reached: ${spent:.4f} of ${budget.max_cost_usd:.4f}"
                )
        if budget.max_seconds is not None:
            elapsed = self._clock() - self.started_at
            if elapsed >= budget.max_seconds:
                raise BudgetExceededError(
                    "time",
                    f"run time budget reached: {elapsed:.1f} s of {budget.max_seconds:.1f} s",
                )

    def nearly_spent(self, share: float) -> bool:
        """Whether the run has used ``share`` (0..1) of any of its limits."""
        budget = self.budget
        tokens = self.ledger.usage().effective_tokens
        if budget.max_tokens is not None and tokens >= budget.max_tokens * share:
            return True
        cost = self.ledger.cost_usd()
        if budget.max_cost_usd is not None and cost >= budget.max_cost_usd * share:
            return True
        seconds = self.seconds_left()
        if budget.max_seconds is None or seconds is None:
            return False
        return seconds <= budget.max_seconds * (1 - share)

    def seconds_left(self) -> float | None:
        """Seconds the run may still take, or ``None`` without a time budget."""
        if self.budget.max_seconds is None:
            return None
        return max(0.0, self.budget.max_seconds - (self._clock() - self.started_at))
