"""The version of convcost, in a module of its own: any module can import it without the package root."""

__version__ = "0.1.0"  # keep equal to pyproject.toml's [project] version
