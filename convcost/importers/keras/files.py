"""The three files that hold a Keras model's architecture -> its config, read as data.

``.keras`` (a zip: config.json), a ``model.to_json()`` file, ``.h5`` (the model_config attribute,
through h5py, the extra convcost[h5]). Errors E610-E613 name the file and what is wrong with it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from convcost.importers.model import check_model_file, model_error

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # the config of keras.applications' largest model is about 2 MB

def read_config(path: str) -> tuple[dict, str]:
    """The model config (``{"class_name": "Functional", "config": {...}}``) and the Keras
    version that wrote it ("" when the file does not say)."""
    suffix = Path(path).suffix.lower()
    what = {".keras": "a Keras .keras file (a zip holding config.json)", ".json": "a Keras model.to_json() file"}.get(
        suffix, "a Keras .h5 file holding a model_config")
    check_model_file(path, what)
    if suffix == ".keras":
        text, version = _keras_zip(path)
        where = "config.json in the .keras file"
    elif suffix == ".json":
        with open(path, "rb") as handle:
            text = handle.read(MAX_CONFIG_BYTES + 1)
        if len(text) > MAX_CONFIG_BYTES:
            raise model_error("E610", path, f"the file is larger than {MAX_CONFIG_BYTES // 2**20} MiB: not a Keras "
                                            "model.to_json() file")
        where, version = "the file", ""
    else:
        text, version = _h5_config(path)
        where = "the model_config attribute of the .h5 file"
    try:
        config = json.loads(text)
    except UnicodeDecodeError:
        raise model_error("E611", path, f"{where} is not UTF-8 text: not a Keras model config") from None
    except json.JSONDecodeError as error:
        raise model_error("E611", path, f"{where} is not valid JSON (line {error.lineno}, column {error.colno}: "
                                        f"{error.msg}): the file is damaged or not a Keras model") from None
    except RecursionError:
        raise model_error("E611", path, f"{where} is nested too deeply to be a Keras model config") from None
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict) or "class_name" not in config:
        raise model_error("E611", path, f"{where} is JSON but not a Keras model config (expected an object with "
                                        "'class_name' and 'config')")
    return config, str(config.get("keras_version") or version)


def _keras_zip(path: str) -> tuple[bytes, str]:
    """config.json of a .keras zip, and the Keras version its metadata.json gives ("" if none)."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                entry = archive.getinfo("config.json")
            except KeyError:
                raise model_error("E610", path, "the .keras file holds no config.json (it has: "
                                                f"{', '.join(archive.namelist()[:5]) or 'nothing'})") from None
            if entry.file_size > MAX_CONFIG_BYTES:
                raise model_error("E610", path, f"config.json is {entry.file_size:,} bytes, more than a model "
                                                f"config ({MAX_CONFIG_BYTES // 2**20} MiB)")
            return archive.read(entry), _keras_version(archive)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:  # truncated, corrupt, not a zip
        raise model_error("E610", path, f"cannot read the .keras file ({error}): it is damaged or not a .keras "
                                        "file (a zip holding config.json)") from None


def _keras_version(archive: zipfile.ZipFile) -> str:
    try:
        metadata = json.loads(archive.read("metadata.json")) if "metadata.json" in archive.namelist() else {}
    except (zipfile.BadZipFile, OSError, ValueError):
        return ""
    return str(metadata.get("keras_version", "")) if isinstance(metadata, dict) else ""


def _h5_config(path: str) -> tuple[bytes, str]:
    try:
        import h5py
    except ImportError:
        raise model_error("E612", path, "reading a Keras .h5 file needs the h5py package",
                          "pip install 'convcost[h5]' (or save the model as .keras, or write model.to_json() "
                          "to a .json file: neither needs it)") from None
    try:
        with h5py.File(path, "r") as handle:
            config = handle.attrs.get("model_config")
            version = handle.attrs.get("keras_version", "")
    except OSError as error:
        raise model_error("E610", path, f"cannot read the .h5 file ({error}): it is damaged or not HDF5") from None
    if config is None:
        raise model_error("E610", path, "the .h5 file has no model_config: it holds weights only (saved with "
                                        "save_weights), not the architecture",
                          "save the whole model (model.save('net.keras')) or its model.to_json()")
    as_bytes = config if isinstance(config, bytes) else str(config).encode("utf-8")
    return as_bytes, version.decode() if isinstance(version, bytes) else str(version)
