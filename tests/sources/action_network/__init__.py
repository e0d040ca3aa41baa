"""Tests of the Action Network source."""
