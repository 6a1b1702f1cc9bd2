"""Training and law study (培训、学法): topics enterprises request and vote on, sessions with
registration and attendance, courses with materials and an exam, certificates and hours.

Modules: :mod:`.exam` (pure exam engine), :mod:`.bank` (course files, validated at load),
:mod:`.models`, :mod:`.services` (audited writes), :mod:`.queries` (reads, scoring source),
:mod:`.certificate` (the numbered PDF).
"""
