"""End-to-end tests of the Matrix adapter against a real Synapse started by conftest.py."""
