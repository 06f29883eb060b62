"""Keras fixtures for the convolution variants and resampling layers (issue 15, part 3): Conv2DTranspose,
Conv1DTranspose, DepthwiseConv2D, SeparableConv1D/2D, UpSampling1D/2D, ZeroPadding1D/2D, Cropping1D/2D.

One set per layer case, `conv_<case>`, in gen_conv.py's scheme (x, the layer's random weights, y = layer(x), r,
and the gradients of sum(y * r) by tf.GradientTape; the manifest holds class name, get_config() and input shape).
Two model sets, `conv2_model_2d` / `conv2_model_1d`: predictions with fixed weights, the weights after 3 SGD
steps, and the model saved by Keras (model.h5, before training) for the .h5 loading test.
"""
import os

import numpy as np
import keras
import tensorflow as tf
from keras import layers

from fixture_util import ROOT, write_layer_case, write_set

CASES = [
    ("conv2dtranspose_valid", layers.Conv2DTranspose(3, (3, 2), activation="relu"), (4, 3, 2)),
    ("conv2dtranspose_same_stride2", layers.Conv2DTranspose(2, 3, strides=2, padding="same"), (3, 4, 3)),
    ("conv2dtranspose_same_output_padding", layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1), (3, 3, 2)),
    ("conv2dtranspose_valid_output_padding",
     layers.Conv2DTranspose(2, (2, 3), strides=(3, 2), output_padding=(1, 0), use_bias=False, activation="tanh"), (3, 3, 2)),
    ("conv2dtranspose_even_same", layers.Conv2DTranspose(2, 4, strides=2, padding="same"), (3, 3, 2)),
    ("conv1dtranspose_valid", layers.Conv1DTranspose(3, 3), (5, 2)),
    ("conv1dtranspose_same_output_padding", layers.Conv1DTranspose(2, 4, strides=3, padding="same", output_padding=2), (4, 3)),
    ("conv1dtranspose_valid_stride3", layers.Conv1DTranspose(2, 2, strides=3, activation="sigmoid"), (5, 2)),
    ("depthwise2d_valid", layers.DepthwiseConv2D(3, depth_multiplier=2, activation="relu"), (5, 5, 3)),
    ("depthwise2d_same_stride2", layers.DepthwiseConv2D((2, 3), strides=2, padding="same"), (5, 6, 2)),
    ("depthwise2d_dilated", layers.DepthwiseConv2D(2, dilation_rate=2, use_bias=False), (6, 5, 2)),
    ("separable2d_valid", layers.SeparableConv2D(4, 3, depth_multiplier=2, activation="tanh"), (5, 5, 3)),
    ("separable2d_same_stride", layers.SeparableConv2D(3, (3, 2), strides=2, padding="same"), (6, 5, 2)),
    ("separable2d_dilated", layers.SeparableConv2D(2, 2, dilation_rate=2, use_bias=False), (5, 5, 2)),
    ("separable1d_valid", layers.SeparableConv1D(3, 3, depth_multiplier=2), (7, 2)),
    ("separable1d_same_stride2", layers.SeparableConv1D(4, 2, strides=2, padding="same", activation="relu"), (7, 3)),
    ("upsampling2d_nearest", layers.UpSampling2D((2, 3)), (3, 2, 2)),
    ("upsampling2d_bilinear", layers.UpSampling2D((2, 3), interpolation="bilinear"), (3, 4, 2)),
    ("upsampling2d_bilinear_square", layers.UpSampling2D(2, interpolation="bilinear"), (4, 3, 1)),
    ("upsampling1d", layers.UpSampling1D(3), (4, 2)),
    ("zeropadding2d", layers.ZeroPadding2D(((1, 2), (0, 1))), (3, 3, 2)),
    ("zeropadding2d_symmetric", layers.ZeroPadding2D(2), (2, 3, 1)),
    ("zeropadding1d", layers.ZeroPadding1D((2, 1)), (4, 3)),
    ("cropping2d", layers.Cropping2D(((1, 0), (2, 1))), (5, 5, 2)),
    ("cropping1d", layers.Cropping1D((1, 2)), (6, 2)),
]

rng = np.random.default_rng(15)
for name, layer, shape in CASES:
    arrays = write_layer_case("conv_" + name, layer, shape, rng)
    print(name, {k: v.shape for k, v in arrays.items()})


def model_set(name, model, x, y, loss):
    """Predictions with fixed weights, the Keras-saved model, then the weights after 3 SGD(0.1, momentum 0.9)
    steps (batch 4, no shuffle).
(TensorFlow's CPU kernels refuse dilated transposed convolutions, so dilation there is checked by finite differences.)"""
    weights = [(0.3 * rng.standard_normal(w.shape)).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    pred = model.predict(x, verbose=0)
    os.makedirs(os.path.join(ROOT, name), exist_ok=True)
    model.save(os.path.join(ROOT, name, "model.h5"))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss=loss)
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    arrays = {"x": x, "y": y, "pred": pred}
    for i, w in enumerate(weights):
        arrays["w%d" % i] = w
    for i, w in enumerate(model.get_weights()):
        arrays["trained%d" % i] = w
    write_set(name, arrays, weights=len(weights))
    print(name, pred.shape)


# A small convolutional autoencoder holding every 2-D layer of this set, trained to reconstruct its input.
x2 = rng.random((8, 8, 8, 1)).astype(np.float32)
model_set("conv2_model_2d", keras.Sequential([
    keras.Input((8, 8, 1)),
    layers.Conv2D(4, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(2),
    layers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, activation="relu"),
    layers.UpSampling2D(2, interpolation="bilinear"),
    layers.DepthwiseConv2D(3, padding="same"),
    layers.ZeroPadding2D(1),
    layers.Cropping2D(((2, 0), (1, 1))),
    layers.MaxPooling2D(2),
    layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu"),
    layers.UpSampling2D(1),
    layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
]), x2, x2, "binary_crossentropy")
x1 = rng.random((8, 10, 2)).astype(np.float32)
y1 = rng.random((8, 1)).astype(np.float32)
model_set("conv2_model_1d", keras.Sequential([
    keras.Input((10, 2)),
    layers.Conv1D(3, 3, activation="relu"),
    layers.Conv1DTranspose(3, 3, strides=2, padding="same", output_padding=1),
    layers.UpSampling1D(2),
    layers.ZeroPadding1D((1, 2)),
    layers.Cropping1D((2, 3)),
    layers.SeparableConv1D(2, 3, strides=2, activation="tanh"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(1),
]), x1, y1, "mse")
