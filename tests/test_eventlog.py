"""The event log keeps what the engine appends: rows packed, moved into columns in blocks
when the columns are read, with room grown as needed; digests, pickling and sorting see the
same rows however the moves fell."""

from __future__ import annotations

import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.eventlog import MOVE_BLOCK, ROW_DTYPE, EventLog

Row = tuple[float, int, int, int, int, int]
FIELDS = ("time", "event", "task", "conversation", "agent", "detail")


def rows(count: int, seed: int) -> list[Row]:
    rng = np.random.default_rng(seed)
    return [(float(rng.integers(0, 1000)) / 4, int(rng.integers(0, 20)),
             int(rng.integers(-1, 5000)), int(rng.integers(-1, 5000)),
             int(rng.integers(-1, 40)), int(rng.integers(0, 3))) for _ in range(count)]


def logged(all_rows: list[Row], moves: list[int]) -> EventLog:
    """A log of these rows, its columns read (the packed rows moved) after each count in
    `moves`."""
    log = EventLog(0, [f"agent{i}" for i in range(40)])
    for text in ("a", "b"):
        log.detail_code(text)
    for index, row in enumerate(all_rows):
        log.append(*row)
        if index + 1 in moves:
            log.columns()
    return log


def as_packed(all_rows: list[Row]) -> np.ndarray:
    return np.array(all_rows, dtype=ROW_DTYPE)


def assert_holds(log: EventLog, all_rows: list[Row]) -> None:
    expected, columns = as_packed(all_rows), log.columns()
    assert len(log) == len(all_rows)
    for name, column in zip(FIELDS, columns, strict=True):
        assert column.tolist() == expected[name].tolist(), name
        assert column.flags.c_contiguous


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3000), st.lists(st.integers(0, 3000), max_size=6), st.integers(0, 99))
def test_columns_hold_every_row_whenever_they_were_moved(count: int, moves: list[int],
                                                         seed: int) -> None:
    all_rows = rows(count, seed)
    log = logged(all_rows, moves)
    assert_holds(log, all_rows)
    assert log.digest() == logged(all_rows, []).digest()  # the moves leave no trace


def test_a_move_of_many_blocks_and_growth_keep_the_rows() -> None:
    all_rows = rows(3 * MOVE_BLOCK + 11, 1)  # three whole blocks and a short one
    log = logged(all_rows, [5, MOVE_BLOCK + 3])  # room grows: 5 rows, then more
    assert_holds(log, all_rows)
    assert not log.buffer  # every packed row moved


def test_columns_read_before_more_rows_stay_as_they_were() -> None:
    all_rows = rows(2000, 2)
    log = logged(all_rows[:1000], [])
    before = [column.copy() for column in log.columns()]
    seen = log.columns()
    for row in all_rows[1000:]:
        log.append(*row)
    assert_holds(log, all_rows)  # the room grew: the views read earlier are unchanged
    assert all(np.array_equal(a, b) for a, b in zip(before, seen, strict=True))


def test_a_pickled_log_has_the_same_rows_and_takes_more() -> None:
    all_rows = rows(500, 3)
    log = logged(all_rows[:300], [100])
    for row in all_rows[300:400]:
        log.append(*row)  # packed, not moved yet: pickled too
    back = pickle.loads(pickle.dumps(log))
    assert_holds(back, all_rows[:400])
    assert back.digest() == log.digest()
    assert back.detail_texts() == log.detail_texts()
    for row in all_rows[400:]:
        back.append(*row)
    assert_holds(back, all_rows)


def test_sort_by_time_is_stable_across_moved_and_packed_rows() -> None:
    all_rows = rows(700, 4)
    log = logged(all_rows, [350])
    log.sort_by_time()
    order = sorted(range(len(all_rows)), key=lambda i: all_rows[i][0])  # stable
    assert_holds(log, [all_rows[i] for i in order])


def test_the_digest_is_that_of_the_packed_rows() -> None:
    """Digests recorded before the log kept columns stay valid: they hash the packed rows."""
    import hashlib

    all_rows = rows(1200, 5)
    packed = as_packed(all_rows)
    used = np.unique(packed["detail"])
    texts = ["", "a", "b"]
    words = sorted(texts[code] for code in used)
    rank = np.zeros(3, dtype=np.uint16)
    rank[used] = [words.index(texts[code]) for code in used]
    packed["detail"] = rank[packed["detail"]]
    content = hashlib.sha256(packed.tobytes())
    content.update("\x1f".join(f"agent{i}" for i in range(40)).encode())
    content.update(b"\x1e")
    content.update("\x1f".join(words).encode())
    assert logged(all_rows, [600]).digest() == content.hexdigest()


def test_agent_codes_are_16_bit_below_32768_agents_and_32_bit_from_there() -> None:
    for agents, width in ((32_767, np.int16), (32_768, np.int32)):
        log = EventLog(0, [f"a{i}" for i in range(agents)])
        log.append(1.0, 0, -1, -1, agents - 1, 0)
        log.append(2.0, 0, -1, -1, -1, 0)
        assert log.columns().agent.dtype == width
        assert log.columns().agent.tolist() == [agents - 1, -1]
