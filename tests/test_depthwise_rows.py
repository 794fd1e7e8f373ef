"""The depthwise kernel's windows by output row (geometry.row_windows: input phases at a stride
above 1, taps grouped by phase) against plain padded windows, at the strides and dilations that
make several phases and uneven groups. The kernel itself is held to the nested-loop oracle at
those strides in test_reference_kernels.py (DEPTHWISE_CASES)."""

from __future__ import annotations

import numpy as np
import pytest
from test_reference_kernels import close, explicit_pads, oracle_depthwise, run_layer

from convcost.reference.geometry import _tap_groups, pad, row_windows, windows


def test_separable_strided_against_loops():
    net, run = run_layer("{kind: separable_conv2d, name: L, filters: 4, kernel: 3, stride: 2, padding: same, "
                         "bias: false}", (7, 6, 3))
    a, w = net.graph.nodes[0].attrs, net.parameters["L"]
    pads = explicit_pads("same", (7, 6), a.kernel, a.stride, a.dilation)
    mid = oracle_depthwise(net.input, w["depthwise"], None, a.stride, a.dilation, pads)
    close(run.outputs["L"], mid @ w["pointwise"].reshape(3, 4))


def test_tap_groups_example():
    """A 3-tap kernel at stride 2: taps 0 and 2 read phase 0 at starts 0 and 1, tap 1 phase 1 at 0."""
    assert _tap_groups(3, 2, 1) == [(0, slice(0, 3, 2), 0, 1), (1, slice(1, 3, 2), 0, 1)]
    assert _tap_groups(3, 1, 2) == [(0, slice(0, 3, 1), 0, 2)]
    assert _tap_groups(2, 2, 2) == [(0, slice(0, 2, 1), 0, 1)]  # d = s: every tap in phase 0


@pytest.mark.parametrize("stride, dilation", [((1, 1), (1, 1)), ((2, 2), (1, 1)), ((3, 2), (2, 1)), ((2, 4), (2, 3))])
def test_row_windows_hold_every_window_once(stride, dilation):
    x = np.arange(1, 1 + 2 * 11 * 13 * 3, dtype=np.float64).reshape(2, 11, 13, 3)
    kernel, pads = (3, 2), ((1, 2), (0, 1))
    view = windows(pad(x, pads), kernel, stride, dilation)  # (N, Ho, Wo, C, kh, kw)
    n, ho, wo, c = view.shape[:4]
    seen = np.zeros(kernel, dtype=int)
    for taps, rows in row_windows(x, pads, kernel, stride, dilation):
        expected = view[..., taps[0], taps[1]]  # (N, Ho, Wo, C, gh, gw)
        expected = np.moveaxis(expected, (-2, -1), (0, 1)).reshape(*rows.shape[:2], n, ho, wo * c)
        np.testing.assert_array_equal(rows, expected)
        seen[taps] += 1
    assert (seen == 1).all()
