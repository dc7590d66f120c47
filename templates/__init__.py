"""Built-in Jinja2 report templates."""
