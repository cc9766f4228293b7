"""The location tree: campus → building → floor → room, each with a responsible person."""
