"""The pytest plugin of dcr-conformance (being written)."""
