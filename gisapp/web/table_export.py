"""Tables as downloads: CSV with a byte-order mark (so spreadsheet programs read the Chinese
as UTF-8) and Excel (.xlsx through openpyxl), from rows of dicts and a header per column."""
from __future__ import annotations

import csv
import io

from flask import Response

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_response(rows: list[dict], headers: dict[str, str], filename: str) -> Response:
    """`rows` as a CSV download; `headers` maps each key to its column title, in order."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers.values())
    writer.writerows([_cell(r.get(k)) for k in headers] for r in rows)
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}.csv"})


def xlsx_response(rows: list[dict], headers: dict[str, str], filename: str, sheet: str) -> Response:
    """`rows` as an Excel workbook of one sheet, with a bold header row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    bold = Font(bold=True)
    titles = []
    for title in headers.values():
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        titles.append(cell)
    ws.append(titles)
    for r in rows:
        ws.append([_cell(r.get(k)) for k in headers])
    buf = io.BytesIO()
    book.save(buf)
    return Response(buf.getvalue(), mimetype=XLSX_TYPE,
                    headers={"Content-Disposition": f"attachment; filename={filename}.xlsx"})


def _cell(value):
    return "" if value is None else value
