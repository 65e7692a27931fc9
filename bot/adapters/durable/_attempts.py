"""What a stage's earlier starts left: how many times it began (a stage that knows it runs for
the first time may skip the look-ups that guard against an effect a crashed earlier attempt left
behind) and which of its members finished (they are not run again)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from bot.adapters.durable._tables import METADATA
from bot.orchestra import JsonObject

# One row per (run, stage), counted up before the stage's code runs: a crash, a step retry or a
# dead letter's retry (a new workflow for the same run) all find the row there.
STAGE_ATTEMPTS = sa.Table(
    "specbot_stage_attempts",
    METADATA,
    sa.Column("run_id", sa.String(400), primary_key=True),
    sa.Column("stage_index", sa.Integer, primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
)


class StageAttempts:
    """Counts stage starts in specbot's tables (one short write per stage)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def members(self, run_id: str, stage_index: int) -> MemberResults:
        """The kept results of one stage's members, in the same database."""
        return MemberResults(self._engine, run_id, stage_index)

    def begin(self, run_id: str, stage_index: int) -> int:
        """Record one more start of the stage; its number, 1 for the first."""
        key = (STAGE_ATTEMPTS.c.run_id == run_id) & (STAGE_ATTEMPTS.c.stage_index == stage_index)
        with self._engine.begin() as connection:
            updated = connection.execute(
                STAGE_ATTEMPTS.update().where(key).values(attempts=STAGE_ATTEMPTS.c.attempts + 1)
            ).rowcount
            if updated:
                found = connection.execute(sa.select(STAGE_ATTEMPTS.c.attempts).where(key))
                return int(found.scalar_one())
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    STAGE_ATTEMPTS.insert().values(
                        run_id=run_id, stage_index=stage_index, attempts=1
                    )
                )
            return 1
        except sa.exc.IntegrityError:  # another process began it at the same moment
            return self.begin(run_id, stage_index)


# One row per finished member of a stage (a reviewer, an analyser): a stage that starts over
# after a crash finds them here and runs only the members without a row.
MEMBER_RESULTS = sa.Table(
    "specbot_member_results",
    METADATA,
    sa.Column("run_id", sa.String(400), primary_key=True),
    sa.Column("stage_index", sa.Integer, primary_key=True),
    sa.Column("member", sa.String(200), primary_key=True),
    sa.Column("result", sa.Text, nullable=False),
)


class MemberResults:
    """Members' results of one stage of one run, in specbot's tables."""

    def __init__(self, engine: sa.Engine, run_id: str, stage_index: int) -> None:
        self._engine = engine
        self._key = (MEMBER_RESULTS.c.run_id == run_id) & (
            MEMBER_RESULTS.c.stage_index == stage_index
        )
        self._row = {"run_id": run_id, "stage_index": stage_index}

    def recall(self, member: str) -> JsonObject | None:
        """The member's kept result, or None if it has not finished in any start so far."""
        query = sa.select(MEMBER_RESULTS.c.result).where(
            self._key & (MEMBER_RESULTS.c.member == member)
        )
        with self._engine.connect() as connection:
            found = connection.execute(query).scalar_one_or_none()
        return None if found is None else dict(json.loads(found))

    def keep(self, member: str, result: JsonObject) -> None:
        """Keep the member's result; a result kept already (a racing start) stays."""
        row = {**self._row, "member": member, "result": json.dumps(result, sort_keys=True)}
        try:
            with self._engine.begin() as connection:
                connection.execute(MEMBER_RESULTS.insert().values(**row))
        except sa.exc.IntegrityError:
            pass
