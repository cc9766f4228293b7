"""Drinking water: the school's water points and tanks, their lab results against the
GB 5749-2022 limits, and the rule that a failed test takes a point out of use until a
passing retest."""
