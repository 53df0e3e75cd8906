"""Evidence records: what the rating rules read about an organization's year."""
