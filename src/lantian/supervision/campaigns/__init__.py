"""专项行动 / 轮次: campaigns to which plans, cases and visits belong (docs/SUPERVISION.md)."""
