"""The Parquet measurement lake (CEMS, power, ambient), read through DuckDB."""

from lantian.lake.schema import SOURCES, SourceSchema, source_schema
from lantian.lake.store import ChangeRecord, CompactionReport, Lake, PartitionCompaction

__all__ = [
    "SOURCES",
    "ChangeRecord",
    "CompactionReport",
    "Lake",
    "PartitionCompaction",
    "SourceSchema",
    "source_schema",
]
