"""The inspector register: officer users with their 执法证号 (law-enforcement certificate)."""
