"""Lantian (蓝天): air-quality supervision and assistance (大气监督帮扶) platform.

Layout (one concept, one place):

- :mod:`lantian.settings`     typed settings (``LANTIAN_`` environment variables)
- :mod:`lantian.timeutil`     China Standard Time helpers
- :mod:`lantian.db`           SQLAlchemy models of the operational database + migrations
- :mod:`lantian.io`           bulk exchange formats (bundles: CSV / Parquet / Excel)
- :mod:`lantian.lake`         Parquet measurement lake read through DuckDB
- :mod:`lantian.protocol`     HJ 212 packet library
- :mod:`lantian.gateway`      asyncio TCP ingest gateway for data loggers
- :mod:`lantian.rules`        lead detection rule catalog and engine
- :mod:`lantian.workflow`     closed-loop case state machine and audit trail
- :mod:`lantian.web`          FastAPI app: pages and REST API
- :mod:`lantian.demo`         simulated demo city generator
- :mod:`lantian.cli`          the ``lantian`` command
"""

__version__ = "0.1.0"
