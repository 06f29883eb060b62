"""Fixtures for issue 15's output masks from real Keras 3: models whose OUTPUT carries a timestep mask (Masking or
Embedding(mask_zero=True) -> a recurrent layer with return_sequences -> Dense / TimeDistributed(Dense)), whose loss
Keras weights by the mask (keras/src/losses/loss.py `apply_mask`: a batch's loss is sum(w m l) / sum(m)) and whose
mean metrics it weights by the mask (keras/src/metrics/reduction_metrics.py `MeanMetricWrapper`), while the
counting metrics (Precision, AUC) ignore it.

Each set mask_<name> holds: the model's Keras JSON (manifest "model"), fixed random weights w0.., inputs x (N = 7
rows, padded), targets y, per-sample weights sw (shape (N, 1): Keras broadcasts them over the timesteps; (N,) fails
in Keras), the prediction, the loss and gradients g0.. on the whole batch without weights and (loss_sw, gs0..) with
them (tf.GradientTape on model.compute_loss, which applies the output mask as fit does), the weights after three
optimizer steps on the whole batch e0.. (fit, batch = N, shuffle off), then from w0 again: evaluate with batch 3
(batches of 3, 3, 1) without and with the weights (manifest "evaluate", "evaluate_sw"), and fit for 2 epochs with
batch 3, the weights and validation data (history in the manifest, end weights f0..).
Run: <kerasvenv>/bin/python Tests/Fixtures/make_fixtures.py gen_mask
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf
import keras
from keras import layers as L

from fixture_util import write_set

rng = np.random.RandomState(1515)
N, T, D = 7, 5, 3


def padded_sequences(n=N):
    """Whole timesteps set to the mask value 0: right padding, left padding, holes, and one row fully masked."""
    x = rng.normal(0, 1, (n, T, D)).astype(np.float32)
    x[0, 3:] = 0
    x[1, :2] = 0
    x[2, 2] = 0
    x[3, 1:] = 0
    x[5, :] = 0  # nothing kept in this row
    return x


def padded_ids(vocab, n=N):
    ids = rng.randint(1, vocab, (n, T)).astype(np.float32)
    ids[0, 3:] = 0
    ids[1, :3] = 0
    ids[2, 2] = 0
    ids[4, 1:] = 0
    return ids


def compiled(layers, weights, loss, metrics, weighted_metrics, optimizer):
    model = keras.Sequential(layers)
    model.set_weights(weights)
    opt = keras.optimizers.Adam(0.01) if optimizer == "adam" else keras.optimizers.SGD(0.1)
    model.compile(optimizer=opt, loss=loss, metrics=metrics, weighted_metrics=weighted_metrics)
    return model


def loss_and_grads(model, x, y, sw):
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        value = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw)
    grads = tape.gradient(value, model.trainable_weights)
    return float(value), [tf.convert_to_tensor(g).numpy() for g in grads]


def mask_set(name, make_layers, x, y, loss, metrics, weighted_metrics, optimizer="adam"):
    keras.utils.set_random_seed(3)
    probe = keras.Sequential(make_layers())
    weights = [rng.normal(0, 0.4, w.shape).astype(np.float32) for w in probe.weights]
    weights = [np.abs(v) + 0.5 if "moving_variance" in w.path else v for v, w in zip(weights, probe.weights)]
    sw = rng.uniform(0.2, 2.0, (N, 1)).astype(np.float32)
    xv, yv = x[::-1].copy(), y[::-1].copy()  # validation: the rows reversed (other batch compositions)
    model = compiled(make_layers(), weights, loss, metrics, weighted_metrics, optimizer)
    arrays = {"x": x, "y": y, "sw": sw}
    for i, w in enumerate(weights):
        arrays["w%d" % i] = w
    arrays["pred"] = model.predict(x, batch_size=N, verbose=0)
    value, grads = loss_and_grads(model, x, y, None)
    arrays["loss"] = np.array([value], np.float32)
    arrays.update({"g%d" % i: g for i, g in enumerate(grads)})
    value, grads = loss_and_grads(model, x, y, sw)
    arrays["loss_sw"] = np.array([value], np.float32)
    arrays.update({"gs%d" % i: g for i, g in enumerate(grads)})
    model.set_weights(weights)  # a training call moved BatchNormalization's moving statistics
    ev = model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)
    ev_sw = model.evaluate(x, y, sample_weight=sw, batch_size=3, verbose=0, return_dict=True)
    model.fit(x, y, batch_size=N, epochs=3, shuffle=False, verbose=0)
    arrays.update({"e%d" % i: w for i, w in enumerate(model.get_weights())})
    model = compiled(make_layers(), weights, loss, metrics, weighted_metrics, optimizer)
    h = model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0, sample_weight=sw, validation_data=(xv, yv))
    arrays.update({"f%d" % i: w for i, w in enumerate(model.get_weights())})
    write_set("mask_" + name, arrays, model=json.loads(model.to_json()), loss_name=loss, weights=len(weights),
              optimizer=optimizer, metrics=metrics, weighted_metrics=weighted_metrics,
              evaluate={k: float(v) for k, v in ev.items()}, evaluate_sw={k: float(v) for k, v in ev_sw.items()},
              history={k: [float(v) for v in vs] for k, vs in h.history.items()})


# Padded ids -> Embedding(mask_zero) -> GRU sequence -> softmax per step, integer targets per step.
ids = padded_ids(9)
mask_set("embedding_gru_scce", lambda: [keras.Input((T,)), L.Embedding(9, 4, mask_zero=True),
                                        L.GRU(5, return_sequences=True), L.Dense(4, activation="softmax")],
         ids, rng.randint(0, 4, (N, T)).astype(np.float32), "sparse_categorical_crossentropy",
         ["accuracy", "sparse_top_k_categorical_accuracy"], ["accuracy"], optimizer="sgd")

# Padded floats -> Masking -> Bidirectional LSTM sequence -> TimeDistributed(Dense) regression.
xm = padded_sequences()
mask_set("masking_bidir_mse", lambda: [keras.Input((T, D)), L.Masking(0.0),
                                       L.Bidirectional(L.LSTM(3, return_sequences=True)),
                                       L.TimeDistributed(L.Dense(2))],
         xm, rng.normal(0, 1, (N, T, 2)).astype(np.float32), "mse", ["mae", "mse"], ["mae"])

# Padded floats -> Masking -> SimpleRNN sequence -> sigmoid per step: accuracy is masked, Precision and AUC are not.
xb = padded_sequences()
mask_set("masking_rnn_binary", lambda: [keras.Input((T, D)), L.Masking(0.0), L.SimpleRNN(4, return_sequences=True),
                                        L.Dense(1, activation="sigmoid")],
         xb, rng.randint(0, 2, (N, T, 1)).astype(np.float32), "binary_crossentropy",
         ["accuracy", "precision", "auc"], ["accuracy"])

# The mask through BatchNormalization (training moments over the kept steps only: keras/src/layers/normalization/
# batch_normalization.py `_moments(inputs, mask)`) and LayerNormalization to the output.
xn = padded_sequences() * 2.0 + 0.5 * (padded_sequences() != 0)
mask_set("masking_bn_ln_lstm", lambda: [keras.Input((T, D)), L.Masking(0.0), L.BatchNormalization(),
                                        L.LayerNormalization(), L.LSTM(4, return_sequences=True), L.Dense(2)],
         xn, rng.normal(0, 1, (N, T, 2)).astype(np.float32), "mse", ["mae"], ["mae"])

# The mask through LeakyReLU and BatchNormalization to a GRU that ends it (an unmasked output).
xr = padded_sequences()
mask_set("masking_leaky_bn_gru", lambda: [keras.Input((T, D)), L.Masking(0.0), L.LeakyReLU(0.2),
                                          L.BatchNormalization(momentum=0.5), L.GRU(3), L.Dense(2)],
         xr, rng.normal(0, 1, (N, 2)).astype(np.float32), "mse", ["mae"], [])
