"""The staffing search against brute force, on generated monotone "meets" rules: it must find
exactly what an exhaustive search finds, from any first guess, and never evaluate a point
twice or one that what it already knows decides."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.staffing_search import Counts, Lattice, cheapest, lowest


@given(st.integers(0, 30), st.integers(0, 30), st.integers(-5, 40), st.integers(-5, 40))
def test_lowest_is_the_least_that_meets(low: int, span: int, need: int, start: int) -> None:
    high = low + span
    asked: list[int] = []

    def meets(n: int) -> bool:
        asked.append(n)
        return n >= need

    expected = max(low, need) if need <= high else None
    assert lowest(meets, low, high, start) == expected
    assert len(asked) == len(set(asked))


def threshold_rule(weights: tuple[int, ...], need: int) -> Callable[[Counts], bool]:
    """A monotone rule: enough weighted agents (like capacity that one group adds more of)."""
    return lambda counts: sum(w * n for w, n in zip(weights, counts, strict=True)) >= need


def min_rule(needs: tuple[int, ...]) -> Callable[[Counts], bool]:
    """Another monotone rule: every group needs its own minimum (skills only it has)."""
    return lambda counts: all(n >= k for n, k in zip(counts, needs, strict=True))


rules = st.one_of(
    st.tuples(st.tuples(st.integers(1, 4), st.integers(1, 4)), st.integers(0, 40)).map(
        lambda p: threshold_rule(*p)),
    st.tuples(st.integers(0, 9), st.integers(0, 9)).map(min_rule),
    st.tuples(st.integers(0, 5), st.integers(1, 3), st.integers(0, 30)).map(
        lambda p: lambda c: min_rule((p[0], 0))(c) and threshold_rule((1, p[1]), p[2])(c)),
)


@given(rules, st.tuples(st.integers(1, 5), st.integers(1, 5)),
       st.tuples(st.integers(0, 9), st.integers(0, 9)), st.integers(0, 3), st.integers(0, 3))
def test_two_groups_match_an_exhaustive_search(rule: Callable[[Counts], bool],
                                               costs: tuple[int, int], guess: Counts,
                                               low_a: int, low_b: int) -> None:
    ranges = [(low_a, 9), (low_b, 9)]
    evaluated: list[Counts] = []

    def evaluate(counts: Counts) -> bool:
        evaluated.append(counts)
        return rule(counts)

    def key(c: Counts) -> tuple[int, int, Counts]:
        return costs[0] * c[0] + costs[1] * c[1], sum(c), c

    start = tuple(min(max(g, a), b) for g, (a, b) in zip(guess, ranges, strict=True))
    lattice = Lattice(evaluate)
    found = cheapest(ranges, key, lattice, start)
    grid = [c for c in itertools.product(*(range(a, b + 1) for a, b in ranges)) if rule(c)]
    assert found == (min(grid, key=key) if grid else None)
    assert len(evaluated) == len(set(evaluated))
    assert len(evaluated) < len(list(itertools.product(*(range(a, b + 1) for a, b in ranges))))


@given(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)), st.integers(0, 30),
       st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)))
def test_three_groups_match_an_exhaustive_search(weights: tuple[int, int, int], need: int,
                                                 guess: Counts) -> None:
    ranges = [(0, 6)] * 3
    rule = threshold_rule(weights, need)

    def key(c: Counts) -> tuple[int, int, Counts]:
        return 3 * c[0] + 2 * c[1] + 2 * c[2], sum(c), c

    found = cheapest(ranges, key, Lattice(rule), guess)
    grid = [c for c in itertools.product(range(7), repeat=3) if rule(c)]
    assert found == (min(grid, key=key) if grid else None)


def test_what_is_known_is_not_evaluated() -> None:
    asked: list[Counts] = []
    lattice = Lattice(lambda c: asked.append(c) or sum(c) >= 5)
    assert lattice.meets((3, 3)) and not lattice.meets((1, 1))
    assert lattice.meets((4, 3)) and not lattice.meets((0, 1))
    assert asked == [(3, 3), (1, 1)]
