"""Sign-in, accounts, roles and role assignments."""
