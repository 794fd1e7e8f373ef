"""Writes the small Keras models of tests/data/models (run with Keras 3 on any backend:
KERAS_BACKEND=torch python tests/data/models/make_models.py). The files are committed, so the
default test run needs no Keras; tests/test_import_keras_apps.py builds Keras' own models live.

- small_cnn.keras / .json / .h5: one Functional network in the three files convcost reads
  (stem conv with a fused ReLU, batch norm, ReLU6, depthwise conv, residual add,
  squeeze-and-excitation multiply, concat, global average pooling, dense softmax), 32×32×3;
- sequential.keras: a Sequential model (conv, max pooling, flatten, dense);
- nested.keras: a Functional model that calls a Sequential block and a Functional block;
- dynamic.keras: a fully convolutional model with an open input size (None, None, 3);
- siamese.keras: two inputs through one shared conv, batch norm and nested Sequential block (shared
  weights: each call a layer, the parameters counted once).
"""

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402
from keras import layers  # noqa: E402

HERE = Path(__file__).parent


def small_cnn() -> keras.Model:
    inputs = keras.Input((32, 32, 3), name="image")
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="stem")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu6")(x)
    y = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw")(x)
    y = layers.BatchNormalization(name="dw_bn")(y)
    y = layers.Add(name="residual")([x, y])
    s = layers.GlobalAveragePooling2D(keepdims=True, name="se_pool")(y)
    s = layers.Conv2D(4, 1, activation="relu", name="se_reduce")(s)
    s = layers.Conv2D(16, 1, activation="sigmoid", name="se_expand")(s)
    y = layers.Multiply(name="se_scale")([y, s])
    z = layers.Conv2D(8, 1, name="branch")(y)
    y = layers.Concatenate(name="joined")([y, z])
    y = layers.GlobalAveragePooling2D(name="pool")(y)
    outputs = layers.Dense(10, activation="softmax", name="classes")(y)
    return keras.Model(inputs, outputs, name="small_cnn")


def sequential() -> keras.Model:
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu", name="conv"),
                             layers.MaxPooling2D(2, name="pool"), layers.Flatten(name="flatten"),
                             layers.Dense(10, name="logits")], name="sequential_cnn")


def nested() -> keras.Model:
    stem = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(8, 3, strides=2, name="stem_conv"),
                             layers.BatchNormalization(name="stem_bn")], name="stem")
    block_in = keras.Input((15, 15, 8))
    block_conv = layers.Conv2D(8, 3, padding="same", name="block_conv")(block_in)
    block_out = layers.Add(name="block_add")([block_in, block_conv])
    block = keras.Model(block_in, block_out, name="block")
    inputs = keras.Input((32, 32, 3), name="image")
    x = block(stem(inputs))
    outputs = layers.Dense(4, name="head")(layers.GlobalAveragePooling2D(name="pool")(x))
    return keras.Model(inputs, outputs, name="nested")


def dynamic() -> keras.Model:
    inputs = keras.Input((None, None, 3), name="image")
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")(inputs)
    outputs = layers.Conv2D(2, 1, name="mask")(x)
    return keras.Model(inputs, outputs, name="dynamic_fcn")


def siamese() -> keras.Model:
    left, right = keras.Input((16, 16, 3), name="left"), keras.Input((16, 16, 3), name="right")
    conv = layers.Conv2D(8, 3, activation="relu", name="tower")
    norm = layers.BatchNormalization(name="tower_bn")
    block = keras.Sequential([keras.Input((14, 14, 8)), layers.Conv2D(8, 3, padding="same", name="inner")],
                             name="block")
    joined = layers.Add(name="joined")([block(norm(conv(left))), block(norm(conv(right)))])
    outputs = layers.Dense(2, name="head")(layers.GlobalAveragePooling2D(name="pool")(joined))
    return keras.Model([left, right], outputs, name="siamese")


MODELS = {"small_cnn": small_cnn, "sequential": sequential, "nested": nested, "dynamic": dynamic, "siamese": siamese}

if __name__ == "__main__":
    model = small_cnn()
    model.save(HERE / "small_cnn.keras")
    model.save(HERE / "small_cnn.h5")
    (HERE / "small_cnn.json").write_text(model.to_json())
    sequential().save(HERE / "sequential.keras")
    nested().save(HERE / "nested.keras")
    dynamic().save(HERE / "dynamic.keras")
    siamese().save(HERE / "siamese.keras")
    for name, make in MODELS.items():
        print(name, make().count_params())
