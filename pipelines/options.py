"""Command-line options every warehouse command shares, spelled and documented once."""

from __future__ import annotations

import argparse


def add_warehouse_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", help="DuckDB file (default: $CIVIC_ETL_WAREHOUSE or data/civic.duckdb)"
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="json: one JSON object per line, for schedulers",
    )
