"""One blueprint per Marathon resource."""
