#!/usr/bin/env python3
"""Checks a themata output folder written with `--format both`: every
`NAME.parquet` read with pyarrow holds the rows and values of `NAME.csv`
read with Python's own csv module (an independent reader on each side).

A cell is equal when: a null is an empty CSV cell; an integer prints as
the CSV text; a float formatted with 6 decimals is the CSV text (p_value,
tf and tf_idf, written in scientific notation, are compared as the
number the text parses to); a boolean is `true`/`false`; a text is the CSV text less the
formula guard, i.e. the CSV holds `'` + text when the text starts with
= + - @ tab or CR. The metadata columns of documents (after its 10 fixed
columns) have the input's types; their floats are written as the input
gave them, so they too are compared as the number the text parses to.

Usage: parquet_check.py DIR [TABLE.COLUMN=TYPE ...]  (each TYPE, as
pyarrow names it, e.g. int64, double, bool, string, is checked too; exit 0
and one summary line when all match, exit 1 listing the first differences
otherwise)
"""

import csv
import math
import pathlib
import sys

import pyarrow as pa
import pyarrow.parquet as pq

SCIENTIFIC = {"p_value", "tf", "tf_idf"}
DOCUMENTS_FIXED = 10
TYPES = {pa.int64(), pa.float64(), pa.string(), pa.bool_()}


def guarded(text):
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def same(value, cell, column, as_parsed):
    if value is None:
        return cell == ""
    if isinstance(value, bool):
        return cell == ("true" if value else "false")
    if isinstance(value, int):
        return cell == str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return False
        if as_parsed or column in SCIENTIFIC:
            return cell != "" and float(cell) == value
        return cell == f"{value:.6f}"
    return cell == guarded(value)


def check(parquet_path, problems, expected):
    csv_path = parquet_path.with_suffix(".csv")
    table = pq.read_table(parquet_path)
    for field in table.schema:
        if field.type not in TYPES:
            problems.append(f"{parquet_path.name}: column {field.name} has type {field.type}")
        want = expected.pop(f"{parquet_path.stem}.{field.name}", None)
        if want is not None and str(field.type) != want:
            problems.append(f"{parquet_path.name}: column {field.name} is {field.type}, not {want}")
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    if header != table.column_names:
        problems.append(f"{parquet_path.name}: header {table.column_names} != {header}")
        return 0
    if len(rows) != table.num_rows:
        problems.append(f"{parquet_path.name}: {table.num_rows} rows, CSV {len(rows)}")
        return 0
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            value = columns[c][r]
            metadata = parquet_path.stem == "documents" and c >= DOCUMENTS_FIXED
            if metadata and not isinstance(value, str) and cell[:2] in ("'-", "'+"):
                cell = cell[1:]  # a number held as text, guarded by the CSV
            if not same(value, cell, header[c], metadata):
                problems.append(
                    f"{parquet_path.name}: row {r + 1} column {header[c]}: parquet {value!r}, CSV {cell!r}"
                )
                if len(problems) > 20:
                    return r
    return len(rows)


def main():
    folder = pathlib.Path(sys.argv[1])
    expected = dict(arg.split("=", 1) for arg in sys.argv[2:])
    files = sorted(folder.glob("*.parquet"))
    if not files:
        print(f"parquet_check: no .parquet file in {folder}", file=sys.stderr)
        return 1
    problems, total = [], 0
    for path in files:
        total += check(path, problems, expected)
        if len(problems) > 20:
            break
    problems.extend(f"no column {column}" for column in expected)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"parquet_check: {len(files)} tables, {total} rows equal to the CSV (pyarrow {pa.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
