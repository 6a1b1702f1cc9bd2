"""Lawful, lenient enforcement: penalty lists and 裁量基准 as data, pure penalty assessment,
decisions with their documents, education records and the enterprise's credit record.

Modules: :mod:`~lantian.enforcement.config` (lists as data, validated at load),
:mod:`~lantian.enforcement.assess` (pure assessment), :mod:`~lantian.enforcement.models`,
:mod:`~lantian.enforcement.services` (stored and audited writes),
:mod:`~lantian.enforcement.queries` and :mod:`~lantian.enforcement.documents` (PDF).
"""
