"""Built-in KPI definitions (YAML), loaded through importlib.resources."""
