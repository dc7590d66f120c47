"""Built-in pitfall checks, registered through the `register_checks` hook like third-party ones."""
