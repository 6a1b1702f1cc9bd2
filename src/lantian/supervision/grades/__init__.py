"""绩效分级 with history and evidence, and 创A升B applications with their assessment steps."""
