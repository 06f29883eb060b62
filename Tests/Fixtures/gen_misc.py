"""Keras fixtures for issue 15's activations, activation layers, regularizers and constraints.

- misc_activations: keras.activations.get(name)(x) and the gradient of sum(f(x) * r) for the activations added by
  name (gelu, silu, relu6, leaky_relu, mish, exponential, log_softmax).
- misc_<layer>: one set per layer case, as gen_conv.py's (x, weights, y, r, dx, d<weight>), with the layer's class
  and get_config() in the manifest (the Swift test builds the layer through LayerRegistry).
- misc_model_<case>: a small model (its model_config in the manifest) with regularizers / constraints: start
  weights, the loss Keras reports for one epoch of 3 SGD steps (batch 4, no shuffle), the weights after them, and
  evaluate()'s loss after training.
"""
import json

import numpy as np
import keras
import tensorflow as tf
from keras import layers, regularizers, constraints

from fixture_util import write_layer_case, write_set

rng = np.random.default_rng(15)

# --- activations by name ---------------------------------------------------------------------------------------
names = ["gelu", "silu", "relu6", "leaky_relu", "mish", "exponential", "log_softmax"]
x = np.linspace(-7.3, 7.1, 24).reshape(4, 6).astype(np.float32)
r = rng.standard_normal(x.shape).astype(np.float32)
arrays = {"x": x, "r": r}
for name in names:
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = keras.activations.get(name)(xt)
        loss = tf.reduce_sum(y * r)
    arrays[name] = y.numpy()
    arrays["d" + name] = tape.gradient(loss, xt).numpy()
write_set("misc_activations", arrays, activations=names)

# --- layers ----------------------------------------------------------------------------------------------------
CASES = [
    ("relu_plain", layers.ReLU(), (7,)),
    ("relu_max_slope_threshold", layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.25), (3, 4)),
    ("relu_slope", layers.ReLU(negative_slope=0.2), (6,)),
    ("relu_threshold", layers.ReLU(threshold=0.5), (6,)),
    ("relu6", layers.ReLU(max_value=6.0), (6,)),
    ("leaky_relu", layers.LeakyReLU(), (3, 3)),
    ("leaky_relu_slope", layers.LeakyReLU(negative_slope=0.05), (5,)),
    ("elu", layers.ELU(), (5,)),
    ("elu_alpha", layers.ELU(alpha=0.7), (2, 3)),
    ("softmax_last", layers.Softmax(), (2, 5)),
    ("softmax_axis1", layers.Softmax(axis=1), (4, 3)),
    ("prelu", layers.PReLU(), (3, 4)),
    ("prelu_shared", layers.PReLU(shared_axes=[1, 2]), (3, 2, 4)),
]
for name, layer, shape in CASES:
    write_layer_case("misc_" + name, layer, shape, rng, x_scale=2.0)


# --- regularized / constrained models: 3 SGD steps ---------------------------------------------------------------
def model_set(name, model, x, y, loss, optimizer):
    # Random start weights (a moving variance is kept positive).
    start = [(0.4 * rng.standard_normal(w.shape)).astype(np.float32) for w in model.weights]
    start = [np.abs(s) + 0.5 if w.path.endswith("moving_variance") else s for s, w in zip(start, model.weights)]
    model.set_weights(start)
    model.compile(optimizer=optimizer, loss=loss)
    config = json.loads(model.to_json())
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    arrays = {"x": x, "y": y}
    for i, w in enumerate(start):
        arrays["w%d" % i] = w
    for i, w in enumerate(model.get_weights()):
        arrays["trained%d" % i] = w
    evaluated = model.evaluate(x, y, batch_size=4, verbose=0)
    write_set("misc_model_" + name, arrays, weights=len(start), model_config=config,
              loss=float(history.history["loss"][0]), evaluate_loss=float(evaluated),
              optimizer=optimizer.get_config()["name"], learning_rate=float(optimizer.get_config()["learning_rate"]))
    print(name, history.history["loss"], evaluated)


xr = rng.standard_normal((12, 5)).astype(np.float32)
yr = rng.standard_normal((12, 2)).astype(np.float32)
model_set("regularized", keras.Sequential([
    keras.Input((5,)),
    layers.Dense(4, activation="tanh", kernel_regularizer=regularizers.L2(0.05), bias_regularizer=regularizers.L1(0.02),
                 activity_regularizer=regularizers.L1L2(l1=0.01, l2=0.03)),
    layers.Dense(2, kernel_regularizer=regularizers.L1L2(l1=0.02, l2=0.01)),
]), xr, yr, "mse", keras.optimizers.SGD(learning_rate=0.1))

model_set("constrained", keras.Sequential([
    keras.Input((5,)),
    layers.Dense(4, activation="relu", kernel_constraint=constraints.MaxNorm(0.6), bias_constraint=constraints.NonNeg()),
    layers.Dense(3, kernel_constraint=constraints.UnitNorm(axis=0),
                 bias_constraint=constraints.MinMaxNorm(min_value=0.2, max_value=0.5, rate=0.7, axis=0)),
    layers.Dense(2),
]), xr, yr[:, :2], "mse", keras.optimizers.SGD(learning_rate=0.2, momentum=0.5))

xc = rng.standard_normal((12, 6, 3)).astype(np.float32)
ids = rng.integers(0, 9, (12, 5)).astype(np.float32)
model_set("regularized_conv_rnn", keras.Sequential([
    keras.Input((6, 3)),
    layers.Conv1D(4, 2, activation="relu", kernel_regularizer="l2", bias_regularizer=regularizers.L2(0.1),
                  kernel_constraint=constraints.MaxNorm(0.8, axis=[0, 1])),
    layers.LSTM(3, kernel_regularizer=regularizers.L1(0.01), recurrent_regularizer=regularizers.L2(0.02),
                bias_regularizer=regularizers.L2(0.03), recurrent_constraint=constraints.MaxNorm(1.0)),
    layers.Dense(2),
]), xc, yr, "mse", keras.optimizers.Adam(learning_rate=0.01))

model_set("regularized_embedding_gru", keras.Sequential([
    keras.Input((5,)),
    layers.Embedding(9, 3, embeddings_regularizer=regularizers.L2(0.05), embeddings_constraint=constraints.UnitNorm(axis=1)),
    layers.GRU(3, activity_regularizer=regularizers.L2(0.02), recurrent_regularizer="l1"),
    layers.PReLU(alpha_regularizer=regularizers.L2(0.1), alpha_constraint=constraints.NonNeg()),
    layers.Dense(2),
]), ids, yr, "mse", keras.optimizers.SGD(learning_rate=0.1))


# --- layers with given / adapted statistics ---------------------------------------------------------------------
for name, layer, shape in [
    ("rescaling", layers.Rescaling(0.5, offset=-1.0), (3, 2)),
    ("normalization_given", layers.Normalization(mean=[0.5, -1.0, 2.0], variance=[4.0, 0.25, 1e-16]), (2, 3)),
    ("normalization_given_invert", layers.Normalization(axis=None, mean=1.5, variance=2.0, invert=True), (4,)),
]:
    xs = (2.0 * rng.standard_normal((2,) + shape)).astype(np.float32)
    xt = tf.constant(xs)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        rr = tf.constant(rng.standard_normal(y.shape).astype(np.float32))
        loss = tf.reduce_sum(y * rr)
    config = layer.get_config()
    config.pop("dtype", None)
    write_set("misc_" + name, {"x": xs, "y": y.numpy(), "r": rr.numpy(), "dx": tape.gradient(loss, xt).numpy()},
              class_name=layer.__class__.__name__, config=config, input_shape=list(shape))

adapt_data = (3.0 * rng.standard_normal((13, 4, 3)) + np.arange(3)).astype(np.float32)
arrays = {"data": adapt_data}
for key, axis in [("last", -1), ("both", (1, 2)), ("none", None)]:
    norm = layers.Normalization(axis=axis)
    norm.adapt(adapt_data)
    arrays["mean_" + key] = keras.ops.convert_to_numpy(norm.mean)
    arrays["variance_" + key] = keras.ops.convert_to_numpy(norm.variance)
    arrays["y_" + key] = keras.ops.convert_to_numpy(norm(adapt_data[:3]))
write_set("misc_normalization_adapt", arrays)


# --- Keras-written .h5 files holding every layer of this set -----------------------------------------------------
import os
folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "misc_h5")
os.makedirs(folder, exist_ok=True)
xa = rng.standard_normal((7, 6)).astype(np.float32)
norm = layers.Normalization()
norm.adapt(xa)
model_a = keras.Sequential([
    keras.Input((6,)), layers.Rescaling(0.5, offset=0.1), norm,
    layers.Dense(8, activation="gelu", kernel_regularizer=regularizers.L2(0.01), kernel_constraint=constraints.MaxNorm(2.0)),
    layers.PReLU(alpha_initializer=keras.initializers.Constant(0.2)), layers.GaussianNoise(0.1),
    layers.Dense(6, activation="mish", bias_regularizer="l1"), layers.LeakyReLU(), layers.AlphaDropout(0.1),
    layers.GaussianDropout(0.2), layers.ReLU(max_value=2.0), layers.Dense(4, activation="silu"), layers.ELU(alpha=0.5),
    layers.Dense(5, activation="relu6"), layers.Dense(3, activation="leaky_relu"), layers.Softmax(),
])
model_a.compile(optimizer="sgd", loss="categorical_crossentropy")
model_a.save(os.path.join(folder, "misc_a.h5"))
xb = rng.standard_normal((3, 6, 6, 2)).astype(np.float32)
model_b = keras.Sequential([
    keras.Input((6, 6, 2)), layers.Conv2D(3, 3, activation="relu6", kernel_regularizer="l2"), layers.SpatialDropout2D(0.3),
    layers.Reshape((16, 3)), layers.SpatialDropout1D(0.2), layers.Conv1D(2, 3, activation="exponential"),
    layers.GlobalAveragePooling1D(), layers.Dense(3, activation="log_softmax"),
])
model_b.compile(optimizer="adam", loss="mse")
model_b.save(os.path.join(folder, "misc_b.h5"))
write_set("misc_h5", {"xa": xa, "pred_a": model_a.predict(xa, verbose=0), "xb": xb, "pred_b": model_b.predict(xb, verbose=0)})


# --- regularizers and constraints on the convolution variants and the normalization layers ------------------------
x2 = rng.standard_normal((12, 6, 6, 2)).astype(np.float32)
model_set("regularized_conv2d_variants", keras.Sequential([
    keras.Input((6, 6, 2)),
    layers.DepthwiseConv2D(3, depth_multiplier=2, activation="tanh", depthwise_regularizer=regularizers.L2(0.05),
                           bias_regularizer=regularizers.L1(0.02), depthwise_constraint=constraints.MaxNorm(0.9, axis=[0, 1, 2]),
                           bias_constraint=constraints.NonNeg()),
    layers.SeparableConv2D(3, 2, activation="relu", depthwise_regularizer=regularizers.L1(0.01),
                           pointwise_regularizer=regularizers.L2(0.05), bias_regularizer="l2",
                           activity_regularizer=regularizers.L2(0.01), depthwise_constraint=constraints.UnitNorm(axis=[0, 1]),
                           pointwise_constraint=constraints.MaxNorm(0.7, axis=[0, 1, 2]),
                           bias_constraint=constraints.MinMaxNorm(0.1, 0.4, rate=0.6)),
    layers.Conv2DTranspose(2, 2, strides=2, kernel_regularizer=regularizers.L1L2(l1=0.01, l2=0.02),
                           bias_regularizer=regularizers.L1(0.03), activity_regularizer=regularizers.L1(0.01),
                           kernel_constraint=constraints.MaxNorm(0.8, axis=[0, 1, 3]), bias_constraint=constraints.NonNeg()),
    layers.GlobalAveragePooling2D(), layers.Dense(2),
]), x2, yr, "mse", keras.optimizers.SGD(learning_rate=0.1, momentum=0.5))

x1 = rng.standard_normal((12, 7, 3)).astype(np.float32)
model_set("regularized_conv1d_variants", keras.Sequential([
    keras.Input((7, 3)),
    layers.SeparableConv1D(4, 3, depth_multiplier=2, activation="tanh", depthwise_regularizer=regularizers.L2(0.05),
                           pointwise_regularizer=regularizers.L1L2(l1=0.01, l2=0.01), bias_regularizer=regularizers.L1(0.02),
                           activity_regularizer=regularizers.L1L2(l1=0.01, l2=0.02),
                           depthwise_constraint=constraints.MaxNorm(0.8, axis=[0, 1]), pointwise_constraint=constraints.NonNeg(),
                           bias_constraint=constraints.UnitNorm(axis=0)),
    layers.Conv1DTranspose(2, 3, strides=2, activation="relu", kernel_regularizer=regularizers.L2(0.1), bias_regularizer="l1",
                           kernel_constraint=constraints.MinMaxNorm(0.3, 0.6, rate=0.5, axis=[0, 1]),
                           bias_constraint=constraints.MaxNorm(0.5)),
    layers.Flatten(), layers.Dense(2),
]), x1, yr, "mse", keras.optimizers.Adam(learning_rate=0.01))

model_set("regularized_normalization", keras.Sequential([
    keras.Input((5,)), layers.Dense(6, activation="tanh"),
    layers.BatchNormalization(momentum=0.8, gamma_regularizer=regularizers.L2(0.05), beta_regularizer=regularizers.L1(0.02),
                              activity_regularizer=regularizers.L2(0.01), gamma_constraint=constraints.MaxNorm(1.5),
                              beta_constraint=constraints.NonNeg()),
    layers.Dense(4),
    layers.LayerNormalization(gamma_regularizer=regularizers.L1L2(l1=0.01, l2=0.03), beta_regularizer="l2",
                              gamma_constraint=constraints.MinMaxNorm(0.5, 1.2, rate=0.8), beta_constraint=constraints.MaxNorm(0.3),
                              activity_regularizer=regularizers.L1(0.01)),
    layers.Dense(2),
]), xr, yr, "mse", keras.optimizers.SGD(learning_rate=0.1))
