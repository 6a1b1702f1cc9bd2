"""Satisfaction surveys (满意度调查) after a closed case, a service visit or a training.

An invitation is created for the enterprise when the event happens
(:func:`services.invite`; closed cases call it from the workflow). The enterprise answers
the questions of the configured form (:mod:`.config`), named or anonymous. An anonymous
response keeps no link to the enterprise, the invitation or the time of answering (see
:mod:`.models`). Results by district, team and service kind: :func:`queries.results`.
"""
