"""Test factories, one module per area (tests/factories/<area>.py): the records an area's
tests and other areas' tests build on. conftest.py loads them as pytest plugins, so a
module may also offer fixtures."""
