"""Departments, staff profiles and the responsibility areas each person holds."""
