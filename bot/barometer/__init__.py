"""The barometer: what teams need, as aggregates only (figures, text, a chart)."""
