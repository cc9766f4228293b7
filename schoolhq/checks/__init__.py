"""Checks: recurring inspection rounds — canteen, drinking water, hygiene, fire and
buildings — from versioned templates, on the school calendar, on tablets."""
