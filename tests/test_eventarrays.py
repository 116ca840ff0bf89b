"""The numpy helpers under the KPIs give the same answers as the plain numpy they replace."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from sim.analysis import eventarrays
from sim.analysis.eventarrays import (
    EventArrays,
    grouped_by_code,
    grouped_order,
    positions,
    quantile_or_inf,
    searchsorted_sorted,
)
from sim.analysis.timeweighted import group_bounds
from sim.domain.lifecycle import Event
from sim.domain.scenario_file import load_scenario
from sim.engine.eventlog import EVENT_CODE
from sim.engine.model import Replication

ROOT = Path(__file__).resolve().parent.parent


def test_quantile_or_inf_is_the_inverted_cdf() -> None:
    """The smallest value with at least a share q of the values at or below it, found from
    the definition (every candidate tried), with ties, infinities and NaN among them."""
    rng = np.random.default_rng(11)
    for _ in range(400):
        values = rng.choice([0.0, 1.0, 2.5, 7.0, np.inf, np.nan], int(rng.integers(1, 30)))
        for q in (0.0, 0.1, 0.5, 0.9, 0.95, 1.0):
            numbers = values[~np.isnan(values)]
            reached = [v for v in sorted(set(numbers.tolist()))
                       if np.count_nonzero(numbers <= v) >= q * len(values)]
            expected = reached[0] if reached else np.nan  # q beyond the numbers: NaN, last
            found = quantile_or_inf(values, q)
            assert found == expected or (np.isnan(found) and np.isnan(expected)), (values, q)
    assert np.isnan(quantile_or_inf(np.array([]), 0.5))


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_sorted_is_numpys_searchsorted(side: Literal["left", "right"]) -> None:
    rng = np.random.default_rng(7)
    for _ in range(500):
        # small whole numbers as floats: many ties between points and moments
        points = np.sort(rng.integers(0, 10, int(rng.integers(0, 8))).astype(float))
        moments = np.sort(rng.integers(-2, 12, int(rng.integers(0, 40))).astype(float))
        if rng.random() < 0.2:
            rng.shuffle(moments)  # out of order: the plain search
        found = searchsorted_sorted(points, moments, side)
        expected = np.searchsorted(points, moments, side=side)
        assert found.tolist() == expected.tolist()


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64])
def test_grouped_order_is_numpys_stable_argsort(dtype: type[np.integer]) -> None:
    rng = np.random.default_rng(11)
    info = np.iinfo(dtype)
    for _ in range(300):
        size = int(rng.integers(0, 60))
        # few distinct keys (many ties), -1 for "none", spans past 16 bits, and the extremes
        # of the type (the sort of packed positions does not take a span of 2**31)
        high = int(rng.choice([3, 500, 70_000, 1 << 31, info.max]))
        high = min(high, info.max)
        keys = rng.integers(max(-1, info.min), high, size, endpoint=True).astype(dtype)
        if size and rng.random() < 0.2:
            keys[0] = info.min
        expected = np.argsort(keys, kind="stable")
        found = grouped_order(keys)
        assert found.dtype == expected.dtype
        assert np.array_equal(found, expected)


def test_grouped_by_code_is_a_stable_sort_by_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventarrays, "GROUP_CHUNK", 7)  # many chunks, codes across them
    rng = np.random.default_rng(3)
    for _ in range(300):
        size = int(rng.integers(1, 6))
        codes = rng.integers(-1, size, int(rng.integers(0, 40))).astype(np.int16)
        values = rng.random(len(codes))
        (grouped, positions), bounds = grouped_by_code(codes, size, values,
                                                       np.arange(len(codes)))
        order = np.argsort(codes, kind="stable")
        order = order[codes[order] >= 0]
        assert np.array_equal(positions, order)
        assert grouped.tolist() == values[order].tolist()
        assert bounds.tolist() == [int(np.sum((codes >= 0) & (codes < c)))
                                   for c in range(size + 1)]


def test_positions_are_flatnonzeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventarrays, "POSITIONS_BLOCK", 5)  # many blocks
    rng = np.random.default_rng(9)
    for _ in range(200):
        mask = rng.random(int(rng.integers(0, 40))) < rng.random()
        found = positions(mask)
        assert found.dtype == np.int32
        assert found.tolist() == np.flatnonzero(mask).tolist()


def test_group_bounds_are_the_first_and_last_entry_of_each_run() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        grouped = np.sort(rng.integers(-1, 6, int(rng.integers(1, 30)))).astype(np.int32)
        starts, ends = group_bounds(grouped)
        runs = [(i, i + len(list(g)) - 1) for i, g in _runs_of(grouped.tolist())]
        assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == runs


def _runs_of(values: list[int]) -> list[tuple[int, list[int]]]:
    """(first position, entries) of each run of equal values."""
    runs: list[tuple[int, list[int]]] = []
    for i, value in enumerate(values):
        if runs and runs[-1][1][0] == value:
            runs[-1][1].append(value)
        else:
            runs.append((i, [value]))
    return runs


def test_where_finds_the_rows_of_any_set_of_events() -> None:
    rng = np.random.default_rng(3)
    events = list(Event)
    codes = np.array([EVENT_CODE[e] for e in events], dtype=np.uint8)
    column = rng.choice(codes, size=2_000)
    log = EventArrays(np.zeros(len(column)), column, *(np.full(len(column), -1),) * 4,
                      agents=(), details=())
    chosen = [events[i:i + 5] for i in range(len(events))] + list(combinations(events, 2))
    for some in [*chosen, []]:
        expected = np.isin(column, [EVENT_CODE[e] for e in some])
        assert np.array_equal(log.where(*some), expected), some


def test_from_log_uses_the_logs_columns_as_they_are() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml", ["horizon=1d", "warmup=0d"])
    log = Replication(scenario, 0).run()
    columns, arrays = log.columns(), EventArrays.from_log(log)
    for name in ("time", "event", "task", "conversation", "agent", "detail"):
        assert np.shares_memory(getattr(arrays, name), getattr(columns, name)), name  # no copy
        assert getattr(arrays, name).flags.c_contiguous
