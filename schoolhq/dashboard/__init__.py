"""The home page: what needs the signed-in person's attention, registered by each area."""
