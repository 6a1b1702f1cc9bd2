"""The registry: enterprises, outlets, production lines, meters, stations, emergency measures.

Models are in :mod:`lantian.registry.models`; the vocabularies (industries, grades, …)
in :mod:`lantian.registry.vocab`.
"""
