"""Fixed assets and low-value durable items: the register, labels, loans."""
