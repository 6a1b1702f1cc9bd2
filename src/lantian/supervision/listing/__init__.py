"""正面清单 lifecycle: stored decisions with history, review proposals, automatic suspension."""
