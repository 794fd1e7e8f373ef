"""YAML spec -> validated spec -> layer graph (see docs/spec.md for the language)."""

from convcost.language.loader import MAX_LAYERS, Spec, display_name, load, loads, resolve_path, shipped_specs

__all__ = ["MAX_LAYERS", "Spec", "display_name", "load", "loads", "resolve_path", "shipped_specs"]
