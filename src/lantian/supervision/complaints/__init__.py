"""信访投诉 (complaints about an enterprise): recorded and judged by officers.

A received or verified complaint within ``[plan] complaint_window_days`` is a trigger that
lifts the positive-list exclusion from on-site draws (:mod:`lantian.supervision.plan`);
an unfounded one is not. Enterprises never see complaints (complainants are protected).
"""
