"""Repairs: one record from a report to a verified fix, on a school-hours clock."""
