"""Work-group scoring (工作组考核): per team and month, a score from configured terms.

Teams come from the user register (:mod:`.teams`); terms, weights, sources and
normalisations from configuration (:mod:`.config`, ``default.toml``); the computation,
with every number explained, is :func:`.compute.score_period`.
"""
