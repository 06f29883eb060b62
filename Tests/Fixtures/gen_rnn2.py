"""Fixtures for issue 15's sequence layers from real Keras 3: Bidirectional (every merge mode, around LSTM, GRU
and SimpleRNN), Masking and Embedding(mask_zero=True) feeding recurrent layers (masked steps skipped), the loss of
a model whose output carries a mask, RepeatVector / TimeDistributed / Permute (a small seq2seq model), and
TimeDistributed(Conv1D).

Each set rnn2_<name> holds a whole Sequential model: its Keras JSON (manifest "model"), fixed random weights
w0.., an input batch x and targets y, the prediction, the loss and its gradients g0.. (tf.GradientTape on
model.compute_loss, which applies the output mask as Keras's fit does), the weights after three Adam(0.01) steps
on the same batch (fit, batch_size = the batch, shuffle off; SGD(0.1) for the Embedding sets) e0.., and the model saved by Keras (keras.h5).
Run: <kerasvenv>/bin/python Tests/Fixtures/make_fixtures.py gen_rnn2
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf
import keras
from keras import layers as L

from fixture_util import ROOT, write_set

rng = np.random.RandomState(15)
N, T, D = 4, 6, 3


def padded_sequences():
    """Inputs with whole timesteps set to the mask value 0: padding at the end, at the start, and in the middle."""
    x = rng.normal(0, 1, (N, T, D)).astype(np.float32)
    x[0, 4:] = 0  # right-padded
    x[1, :2] = 0  # left-padded
    x[2, 2] = 0  # a hole in the middle
    x[3, 1] = 0
    x[3, 3:] = 0
    return x


def padded_ids(vocab):
    ids = rng.randint(1, vocab, (N, T)).astype(np.int32)
    ids[0, 3:] = 0
    ids[1, :4] = 0
    ids[2, 2] = 0
    return ids


def model_set(name, layers, x, y, loss, optimizer="adam", **extra):
    keras.utils.set_random_seed(3)
    model = keras.Sequential(layers)
    weights = [rng.normal(0, 0.4, w.shape).astype(np.float32) for w in model.weights]
    model.set_weights(weights)
    # Embedding + Adam: Keras's fit applies the sparse update of an id repeated in the batch once per occurrence
    # (its gradient is IndexedSlices), unlike Adam on the summed gradient, so those sets take plain SGD.
    opt = keras.optimizers.Adam(0.01) if optimizer == "adam" else keras.optimizers.SGD(0.1)
    model.compile(optimizer=opt, loss=loss)
    arrays = {"x": x, "y": y}
    for i, w in enumerate(weights):
        arrays["w%d" % i] = w
    arrays["pred"] = model.predict(x, batch_size=N, verbose=0)
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        value = model.compute_loss(x=x, y=y, y_pred=y_pred)
    grads = tape.gradient(value, model.trainable_weights)
    arrays["loss"] = np.array([float(value)], np.float32)
    for i, g in enumerate(grads):
        arrays["g%d" % i] = tf.convert_to_tensor(g).numpy()
    folder = os.path.join(ROOT, "rnn2_" + name)
    os.makedirs(folder, exist_ok=True)
    model.save(os.path.join(folder, "keras.h5"))
    model.fit(x, y, batch_size=N, epochs=3, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        arrays["e%d" % i] = w
    write_set("rnn2_" + name, arrays, model=json.loads(model.to_json()), loss_name=loss, weights=len(weights),
              optimizer=optimizer, **extra)


x = rng.normal(0, 1, (N, T, D)).astype(np.float32)
y2 = rng.normal(0, 1, (N, 2)).astype(np.float32)

# Bidirectional: every merge mode, around each recurrent layer, with and without return_sequences.
model_set("bidir_lstm_concat_sum", [keras.Input((T, D)), L.Bidirectional(L.LSTM(4, return_sequences=True)),
                                    L.Bidirectional(L.SimpleRNN(3), merge_mode="sum"), L.Dense(2)], x, y2, "mse")
model_set("bidir_gru_mul_ave", [keras.Input((T, D)), L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode="mul"),
                                L.Bidirectional(L.LSTM(3), merge_mode="ave"), L.Dense(2)], x, y2, "mse")

# Masking: padded float sequences; the masked steps are skipped by both directions and by the LSTM after them.
xm = padded_sequences()
model_set("masking_bidir", [keras.Input((T, D)), L.Masking(0.0), L.Bidirectional(L.LSTM(4, return_sequences=True)),
                            L.LSTM(3), L.Dense(2)], xm, y2, "mse")
model_set("masking_gru_back", [keras.Input((T, D)), L.Masking(0.0), L.GRU(4, return_sequences=True, go_backwards=True),
                               L.Bidirectional(L.SimpleRNN(3), merge_mode="concat"), L.Dense(2)], xm, y2, "mse")

# IMDB-style: padded ids, Embedding(mask_zero=True), a Bidirectional LSTM, a sigmoid output.
ids = padded_ids(12)
yb = rng.randint(0, 2, (N, 1)).astype(np.float32)
model_set("mask_zero_imdb", [keras.Input((T,)), L.Embedding(12, 5, mask_zero=True),
                             L.Bidirectional(L.LSTM(4)), L.Dense(1, activation="sigmoid")], ids.astype(np.float32), yb,
          "binary_crossentropy", optimizer="sgd")

# The output carries the mask (return_sequences + Dense): Keras weights the loss by it.
yseq = rng.normal(0, 1, (N, T, 3)).astype(np.float32)
model_set("mask_zero_seq_output", [keras.Input((T,)), L.Embedding(12, 5, mask_zero=True),
                                   L.LSTM(4, return_sequences=True), L.Dense(3)], ids.astype(np.float32), yseq, "mse")

# seq2seq (Keras's addition example in small): encoder LSTM, RepeatVector, decoder LSTM, TimeDistributed softmax.
y_s2s = np.eye(4, dtype=np.float32)[rng.randint(0, 4, (N, 3))]
model_set("seq2seq", [keras.Input((T, D)), L.LSTM(5), L.RepeatVector(3), L.LSTM(5, return_sequences=True),
                      L.TimeDistributed(L.Dense(4, activation="softmax"))], x, y_s2s, "categorical_crossentropy")

# Permute and TimeDistributed around Dense and Conv1D.
model_set("permute_td", [keras.Input((T, D)), L.Permute((2, 1)), L.TimeDistributed(L.Dense(3, activation="tanh")),
                         L.Flatten(), L.Dense(2)], x, y2, "mse")
x4 = rng.normal(0, 1, (N, 3, 5, 2)).astype(np.float32)
model_set("td_conv1d", [keras.Input((3, 5, 2)), L.TimeDistributed(L.Conv1D(2, 2, activation="relu")),
                        L.Permute((2, 1, 3)), L.Flatten(), L.Dense(2)], x4, y2, "mse")

# Keras's text-classification pattern: the mask reaches GlobalAveragePooling1D, which averages the kept steps only.
ids2 = padded_ids(12)
model_set("mask_zero_gap", [keras.Input((T,)), L.Embedding(12, 5, mask_zero=True), L.GlobalAveragePooling1D(),
                            L.Dense(1, activation="sigmoid")], ids2.astype(np.float32), yb, "binary_crossentropy",
          optimizer="sgd")
