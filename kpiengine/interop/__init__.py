"""Import and export semantic-layer models: dbt MetricFlow, Cube and Apache Ossie (OSI).

Each importer reads a third-party model into the neutral form of `interop.model` (variables,
KPIs, sources and the features it could not map, each with its reason); `interop.writer` turns
that form into a workspace folder. `interop.osi_export` and `interop.metricflow_export` go the
other way. SQL expressions are translated node by node (`interop.sqlexpr`); user text never
reaches `eval`, `exec`, `sympify` or `parse_expr`.
"""
