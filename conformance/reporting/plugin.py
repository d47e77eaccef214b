"""Reporting hooks of the pytest plugin (Allure, summary files); registered by conformance.plugin."""
