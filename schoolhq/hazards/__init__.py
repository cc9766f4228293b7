"""Hazards (隐患排查整改): what a safety round, a patrol or anyone finds and cannot put right
on the spot, rectified by a named person by a deadline and re-checked by someone else."""
