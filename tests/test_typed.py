"""fastnn ships its type hints (PEP 561): the ``py.typed`` marker sits in the package
and pyproject.toml lists it as package data, so ``pip install .`` installs it; so are
the stubs (.pyi) of the compiled modules, which a type checker reads instead of them."""
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


def _package_data():
    import tomllib
    path = os.path.join(ROOT, "pyproject.toml")
    if not os.path.exists(path):
        pytest.skip("not run from a source checkout")
    with open(path, "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]["package-data"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is Python 3.11+")
def test_every_compiled_module_has_an_installed_stub():
    package = os.path.dirname(fastnn.__file__)
    sources = [os.path.join(d, f) for d, _, files in os.walk(package) for f in files
               if f.endswith(".pyx")]
    assert sources, "no .pyx found: the check would pass vacuously"
    missing = [s for s in sources if not os.path.isfile(s[:-len(".pyx")] + ".pyi")]
    assert not missing, f"compiled modules without a .pyi stub: {missing}"
    assert "*.pyi" in _package_data().get("*", []), "pyproject.toml: package-data must list *.pyi"
