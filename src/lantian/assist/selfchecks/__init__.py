"""Self-check (自查) service: per-industry templates with applicability conditions, the
enterprise's answers (draft → submitted → reviewed), photos per item, and 不符合 findings
the enterprise commits to fix by a date.

Modules: :mod:`.conditions` (the condition language, pure), :mod:`.templates` (the shipped
TOML templates, validated at load), :mod:`.models`, :mod:`.services` (every write,
audited), :mod:`.queries` (reads, scoring and risk inputs).
"""
