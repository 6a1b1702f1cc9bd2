"""Bulk import and export of the exchange-format bundles (registry, data, alerts)."""

from lantian.io.bundle import Bundle, Known, check_file, find_files, read_bundle
from lantian.io.errors import BundleError, Issue
from lantian.io.formats import FILES, FileSpec
from lantian.io.importer import ImportReport, import_bundle
from lantian.io.parse import (
    ParsedTable,
    RawTable,
    convert,
    parse_csv,
    parse_times,
    read_csv,
    read_parquet,
    read_table,
    read_xlsx,
)

__all__ = [
    "FILES",
    "Bundle",
    "BundleError",
    "FileSpec",
    "ImportReport",
    "Issue",
    "Known",
    "ParsedTable",
    "RawTable",
    "check_file",
    "convert",
    "find_files",
    "import_bundle",
    "parse_csv",
    "parse_times",
    "read_bundle",
    "read_csv",
    "read_parquet",
    "read_table",
    "read_xlsx",
]
