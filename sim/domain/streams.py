"""Random streams named by purpose, derived from (seed, replication, purpose).

Each purpose (arrival times, compose times of one agent group, ...) has its own generator, so
changing one setting does not shift the draws of unrelated purposes; the same (seed,
replication) gives the same streams on any machine or executor (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np


def purpose_key(purpose: str) -> int:
    """A stable 64-bit integer for a purpose name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(purpose.encode(), digest_size=8).digest(), "little")


class Streams:
    """Hands out one generator per purpose; asking twice for a purpose is a bug."""

    def __init__(self, seed: int, replication: int, segment: int = 0) -> None:
        if seed < 0 or replication < 0 or segment < 0:
            raise ValueError("seed, replication and segment must be >= 0")
        self.seed = seed
        self.replication = replication
        # A run continued from an earlier one's end (segment 1, 2, ...) draws on streams of
        # its own; segment 0 keeps the key every run had before continuations existed.
        self._key: tuple[int, ...] = (replication,) if segment == 0 else (replication,
                                                                          segment)
        self._issued: set[str] = set()

    def generator(self, purpose: str) -> np.random.Generator:
        if purpose in self._issued:
            raise ValueError(f"random stream {purpose!r} was already handed out")
        self._issued.add(purpose)
        sequence = np.random.SeedSequence(
            entropy=self.seed, spawn_key=(*self._key, purpose_key(purpose))
        )
        return np.random.Generator(np.random.PCG64(sequence))
