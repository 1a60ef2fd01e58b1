"""Packaging details pyproject.toml cannot state: the repository's specs/ folder ships inside the
package as `archcheck.specs`, so that an installed archcheck knows its specs by name. specs/ stays the
only copy kept by hand; metadata and dependencies are in pyproject.toml."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["archcheck", "archcheck.*"]) + ["archcheck.specs"],
    package_dir={"archcheck.specs": "specs"},
    package_data={"archcheck.specs": ["*.yaml"]},
)
