"""Stored 双随机 plan draws: inputs, seed and result of each draw, audited."""
