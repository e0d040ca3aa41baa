"""Tests of the sources packages."""
