"""整改方案 (rectification plans) on a case or a self-check finding: measures, milestones with
due dates, responsible persons and evidence; progress shown on the case page and in the
督办台账."""
