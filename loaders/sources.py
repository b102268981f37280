"""Read every payment and remittance file a user names into one payments table.

Each file's format is recognised from its content by
:func:`~cashmatch.loaders.detect.load_file` (the tabular contract included).
Remittance advices are then linked to the payments they describe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_ADVICES
from cashmatch.engine.validate import check_unique
from cashmatch.loaders.detect import load_file
from cashmatch.loaders.errors import LoadError


@dataclass
class LoadedPayments:
    """Payments of several files, and what was skipped or reported on the way."""

    payments: pa.Table
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unlinked_advices: list[str] = field(default_factory=list)


def read_payment_files(
    payment_paths: list[str], remittance_paths: list[str] = (), *, lenient: bool = False
) -> LoadedPayments:
    """Load payment files (any supported format) and link remittance advices to them.

    Raises:
        LoadError: a file that cannot be read, or a payment_id that two files share.
    """
    tables, skipped, problems = [], {}, []
    for path in payment_paths:
        loaded = load_file(path, lenient=lenient)
        if loaded.advices.num_rows:
            raise LoadError(
                path,
                f"a {loaded.format} file holds remittance advices, not payments: "
                "give it with --remittance",
            )
        tables.append(loaded.payments)
        for kind, count in loaded.skipped.items():
            skipped[kind] = skipped.get(kind, 0) + count
        problems.extend(loaded.problems)
    payments = pa.concat_tables(t.select(PAYMENTS.names).cast(PAYMENTS) for t in tables)
    try:
        check_unique(payments["payment_id"], "payments", "payment_id")
    except ValueError as error:
        raise LoadError(", ".join(payment_paths), f"{error} across the files given") from None
    unlinked: list[str] = []
    if remittance_paths:
        from cashmatch.loaders.link import link_remittance

        advices = []
        for path in remittance_paths:
            loaded = load_file(path, lenient=lenient)
            advices.append(loaded.advices)
            problems.extend(loaded.problems)
        linked = link_remittance(
            payments,
            pa.concat_tables(
                a.select(REMITTANCE_ADVICES.names).cast(REMITTANCE_ADVICES) for a in advices
            ),
        )
        payments = linked.payments
        unlinked = [f"remittance advice {a} not linked: {why}" for a, why in linked.unlinked]
        problems.extend(unlinked)
    return LoadedPayments(payments, skipped, problems, unlinked)
