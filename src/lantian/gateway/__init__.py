"""HJ 212 ingest gateway: asyncio server, hash-chained raw archive (the WAL), lake feeder."""

from lantian.gateway.archive import ArchiveWriter, iter_records, verify_archive
from lantian.gateway.server import Gateway, GatewayConfig, run_gateway

__all__ = [
    "ArchiveWriter",
    "Gateway",
    "GatewayConfig",
    "iter_records",
    "run_gateway",
    "verify_archive",
]
