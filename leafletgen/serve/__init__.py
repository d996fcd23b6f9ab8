"""The clinic order page and JSON API, and its render pool."""
