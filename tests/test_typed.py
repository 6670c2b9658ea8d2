"""fastnn ships its type hints (PEP 561): the ``py.typed`` marker sits in the package
and pyproject.toml lists it as package data, so ``pip install .`` installs it."""
import os
import sys

import pytest

import fastnn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_marker_is_in_the_package():
    assert os.path.isfile(os.path.join(os.path.dirname(fastnn.__file__), "py.typed"))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is Python 3.11+")
def test_marker_is_package_data():
    import tomllib
    path = os.path.join(ROOT, "pyproject.toml")
    if not os.path.exists(path):
        pytest.skip("not run from a source checkout")
    with open(path, "rb") as f:
        config = tomllib.load(f)
    data = config["tool"]["setuptools"]["package-data"]
    assert "py.typed" in data.get("fastnn", []), "pyproject.toml: fastnn's package-data must list py.typed"
