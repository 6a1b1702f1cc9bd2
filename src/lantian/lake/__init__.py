"""The Parquet measurement lake (CEMS, power, ambient), read through DuckDB."""

from lantian.lake.schema import SOURCES, SourceSchema, source_schema
from lantian.lake.store import CompactionReport, Lake, PartitionCompaction

__all__ = [
    "SOURCES",
    "CompactionReport",
    "Lake",
    "PartitionCompaction",
    "SourceSchema",
    "source_schema",
]
