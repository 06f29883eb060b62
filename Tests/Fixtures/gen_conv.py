"""Keras fixtures for the convolution, pooling and reshaping layers (issue 3).

One set per case, `conv_<case>`: x (batch 2), the layer's weights (kernel, bias; random, so the test does not
depend on initialisation), y = layer(x), r (random, y's shape) and the gradients of sum(y * r) with respect to
x, kernel and bias, taken by tf.GradientTape. The manifest carries the layer's class and get_config(), which the
Swift test feeds to LayerRegistry (so config parsing is tested with the same files).
"""
import numpy as np
import keras
import tensorflow as tf
from keras import layers

from fixture_util import write_layer_case, write_set

CASES = [
    ("conv2d_valid", layers.Conv2D(3, (3, 2), activation="relu"), (6, 5, 2)),
    ("conv2d_same_stride2", layers.Conv2D(4, (3, 3), strides=2, padding="same"), (7, 6, 3)),
    ("conv2d_same_even_kernel", layers.Conv2D(2, (2, 4), padding="same", activation="tanh"), (5, 6, 2)),
    ("conv2d_dilated_same", layers.Conv2D(2, (2, 3), dilation_rate=(2, 1), padding="same"), (7, 7, 2)),
    ("conv2d_dilated_valid", layers.Conv2D(3, (3, 2), dilation_rate=2), (7, 6, 2)),
    ("conv2d_nobias_strides", layers.Conv2D(3, (2, 2), strides=(2, 1), use_bias=False, activation="sigmoid"), (5, 5, 2)),
    ("conv1d_valid", layers.Conv1D(4, 3, activation="relu"), (9, 3)),
    ("conv1d_same_stride2", layers.Conv1D(3, 4, strides=2, padding="same"), (9, 2)),
    ("conv1d_causal_dilated", layers.Conv1D(2, 3, dilation_rate=2, padding="causal"), (8, 3)),
    ("maxpool2d_valid", layers.MaxPooling2D((2, 2)), (5, 7, 3)),
    ("maxpool2d_same", layers.MaxPooling2D((3, 2), strides=(2, 2), padding="same"), (5, 7, 2)),
    ("avgpool2d_valid", layers.AveragePooling2D((2, 3), strides=(1, 2)), (5, 7, 2)),
    ("avgpool2d_same", layers.AveragePooling2D((3, 3), strides=(2, 2), padding="same"), (6, 5, 2)),
    ("maxpool1d_valid", layers.MaxPooling1D(3), (8, 3)),
    ("maxpool1d_same", layers.MaxPooling1D(3, strides=2, padding="same"), (8, 2)),
    ("avgpool1d_valid", layers.AveragePooling1D(2, strides=1), (7, 3)),
    ("avgpool1d_same", layers.AveragePooling1D(4, strides=3, padding="same"), (8, 2)),
    ("globalavg1d", layers.GlobalAveragePooling1D(), (6, 3)),
    ("globalmax1d", layers.GlobalMaxPooling1D(keepdims=True), (6, 3)),
    ("globalavg2d", layers.GlobalAveragePooling2D(keepdims=True), (4, 3, 2)),
    ("globalmax2d", layers.GlobalMaxPooling2D(), (4, 3, 2)),
    ("reshape", layers.Reshape((-1, 4)), (3, 4, 2)),
]

rng = np.random.default_rng(3)
for name, layer, shape in CASES:
    arrays = write_layer_case("conv_" + name, layer, shape, rng)
    print(name, {k: v.shape for k, v in arrays.items()})


# Whole models: predictions with fixed weights, then the weights after 3 SGD steps (batch 4, no shuffle, no
# dropout), so the composition (conv -> pool -> flatten -> dense, conv1d -> global pooling) is checked end to end.
def model_set(name, model, x, y, loss):
    weights = [(0.3 * rng.standard_normal(w.shape)).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    pred = model.predict(x, verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss=loss)
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    arrays = {"x": x, "y": y, "pred": pred}
    for i, w in enumerate(weights):
        arrays["w%d" % i] = w
    for i, w in enumerate(model.get_weights()):
        arrays["trained%d" % i] = w
    write_set("conv_" + name, arrays, weights=len(weights))
    print(name, pred.shape)


x2 = rng.random((4, 8, 8, 2)).astype(np.float32)
y2 = keras.utils.to_categorical(rng.integers(0, 5, 4), 5)
model_set("model_2d", keras.Sequential([keras.Input((8, 8, 2)), layers.Conv2D(4, (3, 3), activation="relu"),
                                        layers.Conv2D(3, (2, 2), padding="same", activation="tanh"),
                                        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dense(5, activation="softmax")]),
          x2, y2, "categorical_crossentropy")
x1 = rng.random((4, 10, 3)).astype(np.float32)
y1 = rng.integers(0, 2, (4, 1)).astype(np.float32)
model_set("model_1d", keras.Sequential([keras.Input((10, 3)), layers.Conv1D(4, 3, activation="relu"),
                                        layers.MaxPooling1D(2), layers.Conv1D(3, 2, padding="same"),
                                        layers.GlobalAveragePooling1D(), layers.Dense(1, activation="sigmoid")]),
          x1, y1, "binary_crossentropy")
