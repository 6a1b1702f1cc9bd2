"""Leads (线索): one suspected problem per incident episode, as stored by the platform.

The detection engine (:mod:`lantian.rules`) produces them; the case workflow
(:mod:`lantian.workflow`) follows them to close-out and writes back their outcome
(confirmed / false positive), which feeds per-rule precision.
"""
