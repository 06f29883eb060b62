"""Keras fixtures for the Winograd F(2x2, 3x3) path (issue 17): 3x3 stride-1 Conv2D layers with 16+ channels and
filters and 8+ wide outputs, the shapes `WinogradKernels.applies` sends to Winograd, with odd output sizes (a last
tile half outside), 'valid' and 'same', relu and linear. Same contents as gen_conv.py's layer cases (x, weights, y,
r and the gradients of sum(y * r)); a separate generator with its own seed so the older sets stay byte-identical. x is scaled by 0.1 so outputs are O(1) as in
a trained layer (with x and the weights at gen_conv.py's scales, a 144-term sum's float32 rounding in Keras itself
exceeds the 1e-6 + 1e-5 |y| parity tolerance near zero, on the direct kernels as on Winograd).
"""
import numpy as np
from keras import layers

from fixture_util import write_layer_case

CASES = [
    ("conv2d_winograd_valid", layers.Conv2D(16, 3, activation="relu"), (11, 10, 16)),
    ("conv2d_winograd_same", layers.Conv2D(24, 3, padding="same"), (9, 13, 16)),
]

rng = np.random.default_rng(17)
for name, layer, shape in CASES:
    arrays = write_layer_case("conv_" + name, layer, shape, rng, x_scale=0.1)
    print(name, {k: v.shape for k, v in arrays.items()})
