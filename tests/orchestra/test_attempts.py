"""Counting stage starts: the first start of a stage is the only one told it is first."""

from __future__ import annotations

import threading

import pytest

from bot.adapters.durable._attempts import StageAttempts
from bot.adapters.durable._tables import create_engine, create_tables


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


def test_each_start_of_a_stage_is_counted_across_processes(database: str) -> None:
    engine = create_engine(database)
    create_tables(engine)
    attempts = StageAttempts(engine)
    assert [attempts.begin("run-1", 0), attempts.begin("run-1", 0)] == [1, 2]
    assert attempts.begin("run-1", 1) == 1
    assert attempts.begin("run-2", 0) == 1
    other = create_engine(database)  # another worker, the same database
    assert StageAttempts(other).begin("run-1", 0) == 3
    other.dispose()
    engine.dispose()


def test_concurrent_first_starts_get_distinct_numbers(database: str) -> None:
    engine = create_engine(database)
    create_tables(engine)
    attempts = StageAttempts(engine)
    numbers: list[int] = []
    lock = threading.Lock()

    def start() -> None:
        number = attempts.begin("race", 0)
        with lock:
            numbers.append(number)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
    engine.dispose()
