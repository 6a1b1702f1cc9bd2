"""隐患提示函 (hazard notices): a structured notice to an enterprise about a problem that has
not yet caused pollution, with items, a reply deadline, the enterprise's reply and the
officer's follow-up (closed, or escalated to a case)."""
