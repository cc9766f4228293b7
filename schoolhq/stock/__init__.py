"""Consumables and office supplies: items, stores, a ledger, requisitions and counts."""
