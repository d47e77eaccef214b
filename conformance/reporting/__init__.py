"""Reports of a conformance run: Allure results, JUnit properties, the certification summary."""
