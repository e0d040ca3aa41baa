"""sources/http package."""
