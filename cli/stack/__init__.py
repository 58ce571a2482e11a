"""Launchers for the services of the local stack (`balalaika up`), reused by the test fixtures."""
