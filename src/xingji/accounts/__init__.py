"""Users, their roles, and the scoping of everything to a user's subtree."""
