"""Everything about the package is in pyproject.toml; this adds what it cannot say there.

The repository keeps templates/, static/ and migrations/ at its top level; the wheel
carries them inside the package, as schoolhq/templates, schoolhq/static and
schoolhq/migrations, where schoolhq.config.resource_dir finds them once installed.
Every folder is listed as a package (setuptools ships files only from packages); which
of their files go into the wheel is pyproject.toml's package-data."""

from setuptools import find_namespace_packages, setup

RESOURCES = {"schoolhq.templates": "templates", "schoolhq.static": "static", "schoolhq.migrations": "migrations"}
SKIP = ["__pycache__", "*.__pycache__"]

packages = find_namespace_packages(include=["schoolhq", "schoolhq.*"], exclude=SKIP)
for package, folder in RESOURCES.items():
    packages += [package, *(f"{package}.{sub}" for sub in find_namespace_packages(where=folder, exclude=SKIP))]

setup(packages=packages, package_dir=RESOURCES)
