"""Resolve payments that claim the same invoices: a global assignment with OR-Tools.

Automatic applications must never take an invoice beyond its open amount, even
when several payments of a batch claim it (a duplicate payment, two payers
quoting one number). Claims that fit are left alone; the rest fall into small
connected groups, and each group is solved as a packing problem with CP-SAT:
keep the set of automatic applications with the most total confidence (the
earlier payment first among equals) that fits every invoice's open amount.
The payments left out become suggestions.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model


def _components(claims: dict[int, dict[int, int]], contested: set[int]) -> list[list[int]]:
    """Group payments that are linked through contested invoices (union-find)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_invoice: dict[int, list[int]] = defaultdict(list)
    for payment, invoices in claims.items():
        for invoice in invoices:
            if invoice in contested:
                by_invoice[invoice].append(payment)
    for payments in by_invoice.values():
        for other in payments[1:]:
            parent[find(other)] = find(payments[0])
    groups: dict[int, list[int]] = defaultdict(list)
    for payments in by_invoice.values():
        for payment in payments:
            groups[find(payment)].append(payment)
    return [sorted(set(g)) for g in groups.values()]


def resolve_contests(
    claims: dict[int, dict[int, int]],
    confidence: dict[int, float],
    priority: dict[int, int],
    open_amount: np.ndarray,
    time_limit_s: float = 2.0,
) -> set[int]:
    """Choose which automatic applications to keep where they over-claim invoices.

    Args:
        claims: payment → {invoice row: amount applied}.
        confidence: payment → confidence of its application.
        priority: payment → rank for ties (lower first: earlier value date).
        open_amount: open amount of each invoice row.
        time_limit_s: bound on the solver for one group; if it finds no proven
            optimum in time, its best feasible answer is used, and a group it
            cannot solve keeps no automatic application at all.

    Returns:
        The payments whose automatic application must be withdrawn.

    Example:
        >>> sorted(resolve_contests({0: {7: 100}, 1: {7: 100}}, {0: 0.99, 1: 0.99},
        ...                         {0: 1, 1: 0}, np.zeros(8, np.int64) + 100))
        [0]
    """
    total: dict[int, int] = defaultdict(int)
    for invoices in claims.values():
        for invoice, amount in invoices.items():
            total[invoice] += amount
    contested = {inv for inv, amount in total.items() if amount > open_amount[inv]}
    if not contested:
        return set()
    withdrawn: set[int] = set()
    for group in _components(claims, contested):
        invoices = {inv for p in group for inv in claims[p]}
        if len(invoices) == 1:
            # One invoice claimed in full by several payments (a duplicate, two
            # payers quoting one number): only one claim fits; the best keeps it.
            (invoice,) = invoices
            if all(claims[p][invoice] == open_amount[invoice] for p in group):
                best = max(group, key=lambda p: (confidence[p], -priority[p]))
                withdrawn.update(p for p in group if p != best)
                continue
        model = cp_model.CpModel()
        keep = {p: model.NewBoolVar(f"keep_{p}") for p in group}
        usage: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for p in group:
            for invoice, amount in claims[p].items():
                usage[invoice].append((amount, keep[p]))
        for invoice, terms in usage.items():
            model.Add(sum(a * v for a, v in terms) <= int(open_amount[invoice]))
        ranks = sorted(group, key=lambda p: priority[p])
        n = len(group)
        weight = {
            p: int(round(confidence[p] * 1000)) * (n + 1) + (n - ranks.index(p)) for p in group
        }
        model.Maximize(sum(weight[p] * keep[p] for p in group))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit_s
        solver.parameters.num_workers = 1
        status = solver.Solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            withdrawn.update(p for p in group if not solver.Value(keep[p]))
        else:
            withdrawn.update(group)
    return withdrawn
