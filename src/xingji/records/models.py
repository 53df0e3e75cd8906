"""Evidence records (models arrive with the records work)."""
