"""torchvision's classification models as zoo specs: each reproduces torchvision's published figures.

Sources: the weights' metadata in torchvision/models/<file>.py (``num_params``, and ``_ops``: GFLOPS
to 3 decimals) and the docs pages built from it, pytorch.org/vision/stable/models/generated/
torchvision.models.<name>.html ("num_params", "GFLOPS" to 2 decimals). torchvision's "GFLOPS" are
multiply-accumulates of the convolutions and linear layers — convcost's ``macs`` — in units of 10^9.

``num_params`` is ``sum(p.numel() for p in model.parameters())``: batch norm's gamma and beta are
parameters, its running mean and variance are buffers. That is convcost's ``trainable_params``, not
``params`` (Keras' total, which also counts the running statistics: ``non_trainable_params``).
"""

from __future__ import annotations

import pytest

import convcost
from convcost.analysis import analyze
from convcost.reference import ReferenceNetwork
from convcost.verify import compare

from zoo_figures import check_published

# (spec, overrides, num_params, `_ops` (3 decimals), docs "GFLOPS" (2 decimals), exact MACs or None)
PUBLISHED = [
    pytest.param("resnet18", {}, 11_689_512, "1.814", "1.81", None, id="resnet18"),
    # issue 12 gives ResNet-50's exact count: 4,089,184,256 MACs
    pytest.param("resnet50", {}, 25_557_032, "4.089", "4.09", 4_089_184_256, id="resnet50"),
    # resnet.py builds these two with ResNet(Bottleneck, [3, 4, 6, 3], groups=..., width_per_group=...)
    pytest.param("resnet50", {"groups": 32, "width_per_group": 4}, 25_028_904, "4.23", "4.23", None,
                 id="resnext50_32x4d"),
    pytest.param("resnet50", {"width_per_group": 128}, 68_883_240, "11.398", "11.40", None, id="wide_resnet50_2"),
    # issue 12 gives VGG-16's exact count: 15,470,264,320 MACs
    pytest.param("vgg16", {}, 138_357_544, "15.47", "15.47", 15_470_264_320, id="vgg16"),
    pytest.param("densenet121", {}, 7_978_856, "2.834", "2.83", None, id="densenet121"),
    # densenet.py builds the others with DenseNet(growth_rate, block_config, num_init_features)
    pytest.param("densenet121", {"block3": 32, "block4": 32}, 14_149_480, "3.36", "3.36", None, id="densenet169"),
    pytest.param("densenet121", {"block3": 48, "block4": 32}, 20_013_928, "4.291", "4.29", None, id="densenet201"),
    pytest.param("densenet121", {"growth_rate": 48, "num_init_features": 96, "block3": 36, "block4": 24},
                 28_681_000, "7.728", "7.73", None, id="densenet161"),
    pytest.param("alexnet", {}, 61_100_840, "0.714", "0.71", None, id="alexnet"),
]


@pytest.mark.parametrize("name, overrides, num_params, ops, gflops, exact_macs", PUBLISHED)
def test_torchvision_published_figures(name, overrides, num_params, ops, gflops, exact_macs):
    check_published(name, overrides, num_params, ops, gflops, exact_macs)


def test_resnet_spatial_sizes_and_torchvision_names():
    result = convcost.report("resnet50")
    sizes = {name: result.layer(name).output_shape for name in
             ("conv1", "maxpool", "layer1_2/relu3", "layer2_0/conv2", "layer2_0/downsample_1", "layer3_5/relu3",
              "layer4_2/relu3", "avgpool", "fc")}
    assert sizes == {"conv1": (112, 112, 64), "maxpool": (56, 56, 64), "layer1_2/relu3": (56, 56, 256),
                     "layer2_0/conv2": (28, 28, 128), "layer2_0/downsample_1": (28, 28, 512),
                     "layer3_5/relu3": (14, 14, 1024), "layer4_2/relu3": (7, 7, 2048), "avgpool": (2048,),
                     "fc": (1000,)}
    # ResNet-18's first stage keeps 64 channels: no projection, the add reads the block's input
    resnet18 = convcost.report("resnet18")
    assert not any(record.name.startswith("layer1_0/downsample") for record in resnet18.layers)
    assert resnet18.layer("layer2_0/downsample_0").output_shape == (28, 28, 128)


# (spec, num_params, torchvision's classifier as (layer, in_features, out_features) of its Linear
# layers, and {resolution: the last feature map}: the map avgpool resizes, 7×7 / 6×6 only at 224)
TORCHVISION_CLASSIFIERS = [
    pytest.param("vgg16", 138_357_544,
                 [("classifier_0", 25_088, 4096), ("classifier_3", 4096, 4096), ("classifier_6", 4096, 1000)],
                 {128: (4, 4, 512), 224: (7, 7, 512), 256: (8, 8, 512), 320: (10, 10, 512)}, id="vgg16"),
    pytest.param("alexnet", 61_100_840,
                 [("classifier_1", 9216, 4096), ("classifier_4", 4096, 4096), ("classifier_6", 4096, 1000)],
                 {128: (3, 3, 256), 224: (6, 6, 256), 256: (7, 7, 256), 320: (9, 9, 256)}, id="alexnet"),
]


@pytest.mark.parametrize("name, num_params, linears, feature_maps", TORCHVISION_CLASSIFIERS)
def test_avgpool_gives_torchvision_classifier_at_any_resolution(name, num_params, linears, feature_maps):
    # avgpool is AdaptiveAvgPool2d: whatever map the features end in, the classifier reads torchvision's
    # 7×7×512 (6×6×256), so its counts and the network's parameters are torchvision's at every resolution
    at_224 = convcost.analyze(name)
    names = [record.name for record in at_224.layers]
    after_avgpool = names[names.index("avgpool") + 1:]
    for resolution, last_map in feature_maps.items():
        result = convcost.analyze(name, {"resolution": resolution})
        avgpool = result.layer("avgpool")
        assert avgpool.input_shapes == (last_map,)
        assert avgpool.output_shape == at_224.layer("avgpool").output_shape
        assert result.totals.trainable_params == result.totals.params == num_params
        for linear, in_features, out_features in linears:
            cost = result.layer(linear).cost
            assert result.layer(linear).input_shapes == ((in_features,),)
            assert (cost.macs, cost.weights, cost.biases) == (in_features * out_features,) * 2 + (out_features,)
        # every layer from avgpool's output on counts as at 224 (avgpool's own adds follow the map)
        for layer in after_avgpool:
            assert result.layer(layer).cost == at_224.layer(layer).cost, (resolution, layer)


# docs/conventions.md, "Adaptive pooling": (spec, resolution, adds, divisions) of avgpool
AVGPOOL_COUNTS = [
    pytest.param("vgg16", 224, 0, 25_088, id="vgg16-224"),      # 7×7 already: bins of one position
    pytest.param("vgg16", 256, 75_264, 25_088, id="vgg16-256"),  # 8×8×512 to 7×7: 512·(14·14 − 49)
    pytest.param("alexnet", 224, 0, 9216, id="alexnet-224"),
    pytest.param("alexnet", 256, 27_648, 9216, id="alexnet-256"),  # 7×7×256 to 6×6: 256·(12·12 − 36)
]


@pytest.mark.parametrize("name, resolution, adds, divisions", AVGPOOL_COUNTS)
def test_avgpool_counts(name, resolution, adds, divisions):
    cost = convcost.analyze(name, {"resolution": resolution}).layer("avgpool").cost
    assert (cost.adds, cost.divisions, cost.macs) == (adds, divisions, 0)


def test_densenet121_channels_and_torchvision_names():
    result = convcost.report("densenet121")
    # 64 + 6·32 = 256 -> 128; 128 + 12·32 = 512 -> 256; 256 + 24·32 = 1024 -> 512; 512 + 16·32 = 1024
    shapes = {name: result.layer(name).output_shape for name in
              ("pool0", "denseblock1/denselayer_1/conv1", "denseblock1/denselayer_6/cat", "transition1/pool",
               "denseblock2/denselayer_12/cat", "transition2/pool", "denseblock3/denselayer_24/cat",
               "transition3/pool", "norm5", "classifier")}
    assert shapes == {"pool0": (56, 56, 64), "denseblock1/denselayer_1/conv1": (56, 56, 128),
                      "denseblock1/denselayer_6/cat": (56, 56, 256), "transition1/pool": (28, 28, 128),
                      "denseblock2/denselayer_12/cat": (28, 28, 512), "transition2/pool": (14, 14, 256),
                      "denseblock3/denselayer_24/cat": (14, 14, 1024), "transition3/pool": (7, 7, 512),
                      "norm5": (7, 7, 1024), "classifier": (1000,)}
    assert sum(record.kind == "conv2d" for record in result.layers) == 120  # 121 weight layers with the linear


def verify(name: str, overrides: dict) -> None:
    graph = convcost.load(name).build(overrides)
    result = compare(analyze(graph), ReferenceNetwork(graph, batch=1, dtype="float32", seed=0).forward())
    assert result.agree, result.mismatches[:3]


# (spec, a reduced resolution that keeps the executor run short)
REDUCED = [
    pytest.param("resnet18", {"resolution": 64}, id="resnet18-64"),
    pytest.param("resnet50", {"resolution": 64}, id="resnet50-64"),
    pytest.param("resnet50", {"resolution": 64, "groups": 32, "width_per_group": 4}, id="resnext50_32x4d-64"),
    pytest.param("vgg16", {"resolution": 64}, id="vgg16-64"),
    pytest.param("densenet121", {"resolution": 64}, id="densenet121-64"),
    pytest.param("alexnet", {"resolution": 127}, id="alexnet-127"),
]


@pytest.mark.parametrize("name, overrides", REDUCED)
def test_verify_agrees_at_reduced_resolution(name, overrides):
    verify(name, overrides)


FULL_SIZE = ["resnet18", "resnet50", "vgg16", "densenet121", "alexnet"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FULL_SIZE)
def test_verify_agrees_at_full_size(name):
    verify(name, {})
