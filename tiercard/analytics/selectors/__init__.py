"""Dashboard figures, each one scoped by the viewer (see ``tiercard.analytics.scope``)."""
