"""Organizations (the tree of Party organizations), their members and elections."""
