"""sources/nationbuilder package."""
