"""The folder src/ is the import package `arc_ttt`; setuptools needs that mapping spelled out."""

from setuptools import find_packages, setup

setup(
    packages=["arc_ttt", *(f"arc_ttt.{name}" for name in find_packages("src"))],
    package_dir={"arc_ttt": "src"},
    package_data={"arc_ttt": ["py.typed"]},
)
