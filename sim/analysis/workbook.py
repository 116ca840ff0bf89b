"""The KPI tables as one Excel workbook (`--format xlsx`), a sheet per table, for analysts
who live in Excel. The CSV files stay the contract (`sim.open` reads them); the workbook is
written next to them, atomically like every results file."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from sim.analysis.results import atomic_write_bytes

WORKBOOK = "tables.xlsx"
FORMATS = ("csv", "xlsx")


def write_workbook(path: Path, sheets: Mapping[str, pd.DataFrame]) -> None:
    """Each frame as a sheet named by its key (Excel allows 31 characters), header frozen
    and columns wide enough to read."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False, freeze_panes=(1, 0))
            sheet = writer.sheets[name[:31]]
            for index, column in enumerate(frame.columns, start=1):
                width = max([len(str(column)), *(len(f"{v}") for v in frame[column].head(50))])
                sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(
                    width + 2, 60)
    atomic_write_bytes(path, buffer.getvalue())
