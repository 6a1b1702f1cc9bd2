"""Reports built from the platform's data: the daily digest (每日推送, :mod:`.digest`)."""
