"""sources/action_network package."""
