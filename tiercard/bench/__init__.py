"""The tiers benchmark (``tiercard bench tiers``): our services against a DuckDB reference.

A plain package, not a Django app: it owns no models. ``run`` drives scratch databases and child
processes, ``child`` is one phase in a process, ``ours`` times the services, ``reference`` is
the Parquet export and the DuckDB query (``duckdb_sql`` compiles the ladder), ``targets`` judges
the figures and ``report`` prints them.
"""
