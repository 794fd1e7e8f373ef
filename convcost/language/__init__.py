"""The spec language (docs/spec.md): YAML spec -> validated spec -> layer graph.

    source.py       YAML text -> Node tree, every value with its line and column
    expressions.py  safe arithmetic over parameters: parse (once per text), evaluate, the names read
    fields.py       one field's Node -> its normalized attribute
    spec.py         Spec and BlockDef, the data; structural checks at load (sections, items, names)
    parameters.py   defaults and --set overrides -> parameter values; E305, an override nothing reads
    build.py        build(spec, overrides) -> Graph: blocks, repeat, inputs, names
    loader.py       load / loads: a path, '-' or a shipped spec's name -> Spec

Each imports only the modules above it in this list (and convcost.errors, .graph, .layers).
"""

from convcost.language.build import MAX_LAYERS
from convcost.language.loader import display_name, load, loads, resolve_path, shipped_specs
from convcost.language.spec import Spec

__all__ = ["MAX_LAYERS", "Spec", "display_name", "load", "loads", "resolve_path", "shipped_specs"]
