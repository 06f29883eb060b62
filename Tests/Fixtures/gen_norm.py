"""Keras fixtures for BatchNormalization and LayerNormalization (issue 15).

One set per layer case, `norm_<case>`: x, the layer's weights (random, moving statistics included, so nothing
depends on initialisation), y_train = layer(x, training=True), the moving statistics after that call
(moving_mean_after, moving_variance_after), y_infer = layer(x, training=False) with the ORIGINAL weights, r (random,
y's shape) and the gradients of sum(y_train * r) with respect to x and the trainable weights (tf.GradientTape).
The manifest carries the class and get_config(), which the Swift test feeds to LayerRegistry.

Model sets `norm_model_<name>` (a bias right before a BatchNormalization has a zero gradient up to rounding,
which Adam turns into steps of noise, so the MLP's Dense has none): start weights w<i> (all of get_weights(), moving statistics included),
predictions pred (inference mode), the weights after 3 optimizer steps (batch 4, no shuffle) trained<i>, and
the predictions of the trained model pred_trained (which use the moving statistics).
"""
import numpy as np
import keras
import tensorflow as tf
from keras import layers

from fixture_util import write_set

CASES = [
    ("bn_dense", layers.BatchNormalization(), (5,), 6),
    ("bn_conv", layers.BatchNormalization(momentum=0.9), (4, 3, 2), 3),
    ("bn_axis1_nocenter", layers.BatchNormalization(axis=1, center=False, epsilon=1e-2), (4, 5), 3),
    ("bn_noscale", layers.BatchNormalization(scale=False, momentum=0.5), (6,), 5),
    ("ln_last", layers.LayerNormalization(), (4, 5), 3),
    ("ln_axes", layers.LayerNormalization(axis=[1, 2]), (3, 4, 2), 2),
    ("ln_mixed_axes", layers.LayerNormalization(axis=[-1, 1]), (3, 2, 4), 2),
    ("ln_axis1_nocenter", layers.LayerNormalization(axis=1, center=False, epsilon=1e-2), (4, 5), 3),
    ("ln_rms", layers.LayerNormalization(rms_scaling=True), (6,), 4),
]

rng = np.random.default_rng(15)
for name, layer, shape, batch in CASES:
    x = (1.5 * rng.standard_normal((batch,) + shape) + 0.7).astype(np.float32)
    layer.build((None,) + shape)
    arrays = {"x": x}
    trainable = []
    for w in layer.weights:
        key = w.path.split("/")[-1]
        if key == "moving_variance":
            value = rng.uniform(0.5, 2.0, w.shape).astype(np.float32)
        else:
            value = (0.5 * rng.standard_normal(w.shape) + (1.0 if key == "gamma" else 0.0)).astype(np.float32)
        w.assign(value)
        arrays[key] = value
        if w.trainable:
            trainable.append((key, w))
    y_infer = layer(tf.constant(x), training=False).numpy()
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, training=True)
        r = tf.constant(rng.standard_normal(y.shape).astype(np.float32))
        loss = tf.reduce_sum(y * r)
    grads = tape.gradient(loss, [xt] + [w.value for _, w in trainable])
    arrays.update(y_train=y.numpy(), y_infer=y_infer, r=r.numpy(), dx=grads[0].numpy())
    for (key, _), g in zip(trainable, grads[1:]):
        arrays["d" + key] = g.numpy()
    for w in layer.weights:
        key = w.path.split("/")[-1]
        if key.startswith("moving_"):
            arrays[key + "_after"] = w.numpy()
    config = layer.get_config()
    config.pop("dtype", None)
    write_set("norm_" + name, arrays, class_name=layer.__class__.__name__, config=config, input_shape=list(shape))
    print(name, {k: v.shape for k, v in arrays.items()})


def model_set(name, model, x, y, loss, optimizer):
    weights = []
    for w in model.weights:
        if w.path.endswith("moving_variance"):
            weights.append(rng.uniform(0.5, 2.0, w.shape).astype(np.float32))
        else:
            weights.append((0.4 * rng.standard_normal(w.shape)).astype(np.float32))
    model.set_weights(weights)
    pred = model.predict(x, verbose=0)
    model.compile(optimizer=optimizer, loss=loss)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    arrays = {"x": x, "y": y, "pred": pred, "pred_trained": model.predict(x, verbose=0)}
    for i, w in enumerate(weights):
        arrays["w%d" % i] = w
    for i, w in enumerate(model.get_weights()):
        arrays["trained%d" % i] = w
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    write_set("norm_model_" + name, arrays, weights=len(weights), trainable_params=trainable,
              non_trainable_params=int(model.count_params()) - trainable)
    print(name, pred.shape, [w.path for w in model.weights])


x1 = (2 * rng.random((12, 5)) - 0.5).astype(np.float32)
y1 = keras.utils.to_categorical(rng.integers(0, 3, 12), 3)
model_set("mlp", keras.Sequential([keras.Input((5,)), layers.Dense(8, use_bias=False), layers.BatchNormalization(),
                                   layers.Activation("relu"), layers.Dense(6), layers.LayerNormalization(),
                                   layers.Dense(3, activation="softmax")]),
          x1, y1, "categorical_crossentropy", keras.optimizers.Adam(learning_rate=0.01))
x2 = rng.random((12, 6, 6, 2)).astype(np.float32)
y2 = keras.utils.to_categorical(rng.integers(0, 4, 12), 4)
model_set("cnn", keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(3, (3, 3)),
                                   layers.BatchNormalization(momentum=0.9), layers.Activation("relu"),
                                   layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dense(4, activation="softmax")]),
          x2, y2, "categorical_crossentropy", keras.optimizers.SGD(learning_rate=0.1, momentum=0.9))


# Files written by Keras itself (set `norm_h5`): a BN/LN model trained 2 epochs (so the moving statistics are not
# their initial values), saved with model.save() by Keras 3 and by tf-keras; x and each one's predictions.
import os
import tf_keras
from fixture_util import ROOT

folder = os.path.join(ROOT, "norm_h5")
os.makedirs(folder, exist_ok=True)
xh = rng.random((16, 6, 6, 2)).astype(np.float32)
yh = keras.utils.to_categorical(rng.integers(0, 3, 16), 3)
preds = {}
for tag, K in (("keras3", keras), ("tfkeras", tf_keras)):
    L = K.layers
    m = K.Sequential([K.Input((6, 6, 2)), L.Conv2D(3, (3, 3), use_bias=False), L.BatchNormalization(momentum=0.7),
                      L.Activation("relu"), L.Flatten(), L.Dense(5), L.LayerNormalization(),
                      L.BatchNormalization(center=False, epsilon=0.01), L.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    m.fit(xh, yh, batch_size=5, epochs=2, verbose=0)
    m.save(os.path.join(folder, tag + "_norm.h5"))
    preds[tag + "_pred"] = m.predict(xh, verbose=0)
write_set("norm_h5", dict(x=xh, **preds), tf_keras=tf_keras.__version__, files=["keras3_norm.h5", "tfkeras_norm.h5"])
print("norm_h5", {k: v.shape for k, v in preds.items()})
