"""Ambient air quality for officers: composite index and area ranking over the lake."""
