"""Consultation (咨询) with the first-responder rule (首问负责制), and the FAQ.

An enterprise asks (:func:`services.ask`); the first officer in scope who claims it
(:func:`services.claim`, the queue's "open" button) owns it until it is answered or
formally transferred with a reason to another officer in scope
(:func:`services.transfer`). Each question has a due time from the response-time target
of its province (:mod:`.config`); :func:`services.escalate_overdue` (scheduled jobs,
``lantian questions escalate``) records reminders and escalations. Audit actions, stable
for notifications: ``question.ask``, ``question.claim``, ``question.transfer``,
``question.answer``, ``question.remind``, ``question.escalate``, ``question.rate``,
``question.faq``.
"""
