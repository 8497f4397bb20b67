"""The compliance grid: every lab's obligations, one row per breach file and one column per regime."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from breachdesk.models import BreachFile
from breachdesk.obligations.regimes import Regime
from breachdesk.obligations.selectors import (
    RegimeSummary,
    controller_regimes,
    obligations_of_breach_files,
    summarize_regime,
)


@dataclass(frozen=True)
class GridRow:
    breach_file: BreachFile
    cells: list[RegimeSummary]


@dataclass(frozen=True)
class ObligationGrid:
    regimes: list[Regime]
    rows: list[GridRow]

    def count(self, state: str) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell.state == state)


def obligation_grid(*, breach_files: Iterable[BreachFile], now: datetime) -> ObligationGrid:
    """Regime x lab: each cell says due (and when), done, late, not decided or not applicable."""
    regimes = controller_regimes()
    files = list(breach_files)
    phases_by_file = obligations_of_breach_files(breach_files=files, now=now)
    rows = []
    for breach_file in files:
        phases = phases_by_file[breach_file.pk]
        rows.append(
            GridRow(breach_file=breach_file, cells=[summarize_regime(regime=regime, rows=phases) for regime in regimes])
        )
    return ObligationGrid(regimes=regimes, rows=rows)
