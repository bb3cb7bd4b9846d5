"""A record of every step the agents took, kept beside each answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel, Field


class TraceStep(BaseModel):
    """One agent's step: who, what it produced (in words), how long it took."""

    agent: str = Field(description="planner, retriever, appraiser, synthesizer or verifier.")
    summary: str = Field(description="What the step produced.")
    seconds: float = Field(description="Wall time of the step.")


class Trace(BaseModel):
    """The ordered steps of one answer."""

    steps: list[TraceStep] = Field(default_factory=list, description="Steps in order.")

    @contextmanager
    def step(self, agent: str) -> Iterator[list[str]]:
        """Time a step; the caller appends its summary lines to the yielded list."""
        started = time.perf_counter()
        notes: list[str] = []
        yield notes
        self.steps.append(
            TraceStep(
                agent=agent,
                summary="; ".join(notes),
                seconds=round(time.perf_counter() - started, 4),
            )
        )
