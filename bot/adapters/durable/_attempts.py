"""How many times each stage of a run has begun: a stage that knows it runs for the first time
may skip the look-ups that guard against an effect a crashed earlier attempt left behind."""

from __future__ import annotations

import sqlalchemy as sa

from bot.adapters.durable._tables import METADATA

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
