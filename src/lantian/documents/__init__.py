"""Documents: dispatch, supervision and rectification notices (PDF) and Excel exports."""
