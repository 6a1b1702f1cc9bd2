"""Differentiated supervision (差异化监管): risk score, 双随机 plan draw, 正面清单 review.

Pure domain functions over plain dataclasses (:mod:`.facts`): :mod:`.risk` (risk score
explained term by term), :mod:`.plan` (the seeded draw), :mod:`.positive_list` (proposed
additions and removals). :mod:`.config` loads the validated configuration;
:mod:`.queries` builds the inputs from the database (read-only); :mod:`.inspectors` keeps
the register of 执法证号; :mod:`.plans` stores and audits each draw.
"""
