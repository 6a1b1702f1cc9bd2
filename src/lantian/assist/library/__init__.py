"""Libraries (案例库、政策库): typical cases, anonymised from closed cases or entered by
officers, and a policy handbook; both readable by enterprises."""
