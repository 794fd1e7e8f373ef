"""Keras models as convcost layers, read from the model's config: data, never Keras itself.

Three files hold a Keras model's architecture, and all are read without importing Keras or
TensorFlow (the config is JSON; nothing in it is run, and the weights are never read):

- ``.keras`` (Keras 3's ``model.save``): a zip holding ``config.json``;
- a ``model.to_json()`` file (``.json``);
- ``.h5`` (``model.save("net.h5")``, Keras 2 and 3): the ``model_config`` attribute of the HDF5
  file, read with h5py (the optional extra ``convcost[h5]``).

Sequential and Functional models, nested models (inlined under their layers' own names) and
Keras 2's and Keras 3's ways of writing a layer's inputs are read. Each Keras class maps to a
convcost kind by the table ``CLASSES`` (docs/import.md lists it): a fused ``activation=`` on a
Conv or Dense is the kind's ``activation`` field, or a layer of its own where the kind has no
such field. A class, or a field value, that has no exact convcost meaning is an error that names
the class, the layer and the model it sits in — never a layer left out or counted as zero.
"""

from __future__ import annotations

from convcost.importers.keras.classes import ACTIVATIONS, CLASSES
from convcost.importers.keras.files import read_config
from convcost.importers.keras.graph import ModelReader
from convcost.importers.model import ImportedModel


def read(path: str) -> ImportedModel:
    """The Keras model in ``path`` (.keras, .h5/.hdf5 or a model.to_json() .json file)."""
    config, keras_version = read_config(path)
    return ModelReader(path, keras_version).model(config)


__all__ = ["ACTIVATIONS", "CLASSES", "read", "read_config"]
