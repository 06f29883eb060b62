"""Fixtures for the recurrent layers (LSTM, GRU, SimpleRNN, Embedding) from real Keras 3.

For each cell: fixed random weights, an input of shape (3, 5, 3), outputs with return_sequences on and off and
with go_backwards, and the gradients (tf.GradientTape) of loss = sum(y * w) for a fixed random w.
Stateful: a stateful LSTM called on two consecutive batches, and a stateful stacked model trained by fit().
"""
import numpy as np
import tensorflow as tf
import keras
from fixture_util import write_set

rng = np.random.RandomState(0)
N, T, D, U = 3, 5, 3, 4


def weights_for(layer):
    return [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.weights]


def cell_set(name, make, **extra):
    arrays = {}
    x = rng.normal(0, 1, (N, T, D)).astype(np.float32)
    arrays["x"] = x
    base = make(return_sequences=True)
    base.build((N, T, D))
    ws = weights_for(base)
    base.set_weights(ws)
    for i, w in enumerate(ws):
        arrays["w%d" % i] = w
    for seq in (True, False):
        for back in (False, True):
            layer = make(return_sequences=seq, go_backwards=back)
            layer.build((N, T, D))
            layer.set_weights(ws)
            xt = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(xt)
                y = layer(xt)
                w = np.asarray(rng.normal(0, 1, y.shape), np.float32)
                loss = tf.reduce_sum(y * w)
            grads = tape.gradient(loss, [xt] + layer.trainable_weights)
            tag = ("seq" if seq else "last") + ("_back" if back else "")
            arrays["y_" + tag] = y.numpy()
            arrays["dy_" + tag] = w
            arrays["dx_" + tag] = grads[0].numpy()
            for i, g in enumerate(grads[1:]):
                arrays["g%d_%s" % (i, tag)] = g.numpy()
    write_set(name, arrays, **extra)


cell_set("rnn_lstm", lambda **k: keras.layers.LSTM(U, **k))
cell_set("rnn_lstm_hard", lambda **k: keras.layers.LSTM(U, activation="relu", recurrent_activation="hard_sigmoid", **k),
         activation="relu", recurrent_activation="hard_sigmoid")
cell_set("rnn_gru", lambda **k: keras.layers.GRU(U, **k))
cell_set("rnn_simple", lambda **k: keras.layers.SimpleRNN(U, **k))

# Embedding: ids (3, 5) in [0, 7), table (7, 4); gradient of sum(y * w) with a repeated id.
ids = rng.randint(0, 7, (N, T)).astype(np.int32)
ids[0, 0] = ids[1, 1] = 2
emb = keras.layers.Embedding(7, 4)
emb.build((N, T))
table = rng.normal(0, 1, (7, 4)).astype(np.float32)
emb.set_weights([table])
with tf.GradientTape() as tape:
    y = emb(tf.constant(ids))
    w = np.asarray(rng.normal(0, 1, y.shape), np.float32)
    loss = tf.reduce_sum(y * w)
g = tape.gradient(loss, emb.trainable_weights)[0]
g = tf.convert_to_tensor(g).numpy()
write_set("rnn_embedding", {"ids": ids, "table": table, "y": y.numpy(), "dy": w, "g": g})

# Stateful LSTM: two consecutive batches carry [h, c]; then reset_states gives the fresh output again.
B = 2
layer = keras.layers.LSTM(U, return_sequences=True, stateful=True)
model = keras.Sequential([keras.Input(batch_shape=(B, T, D)), layer])
ws = weights_for(layer)
layer.set_weights(ws)
x1 = rng.normal(0, 1, (B, T, D)).astype(np.float32)
x2 = rng.normal(0, 1, (B, T, D)).astype(np.float32)
y1 = model.predict(x1, batch_size=B, verbose=0)
y2 = model.predict(x2, batch_size=B, verbose=0)
h2, c2 = [s.numpy() for s in layer.states]
layer.reset_states()
y2_fresh = model.predict(x2, batch_size=B, verbose=0)
arrays = {"x1": x1, "x2": x2, "y1": y1, "y2": y2, "h2": h2, "c2": c2, "y2_fresh": y2_fresh}
for i, w in enumerate(ws):
    arrays["w%d" % i] = w

# Stateful stacked model trained by fit (SGD, mse, shuffle=False): weights, states and predictions after.
l1 = keras.layers.LSTM(U, return_sequences=True, stateful=True)
l2 = keras.layers.LSTM(3, stateful=True)
dense = keras.layers.Dense(2)
m = keras.Sequential([keras.Input(batch_shape=(B, T, D)), l1, l2, dense])
start = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in m.weights]
m.set_weights(start)
xf = rng.normal(0, 1, (3 * B, T, D)).astype(np.float32)
yf = rng.normal(0, 1, (3 * B, 2)).astype(np.float32)
m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
hist = m.fit(xf, yf, batch_size=B, epochs=2, shuffle=False, verbose=0)
arrays.update({"fit_x": xf, "fit_y": yf, "fit_loss": np.array(hist.history["loss"], np.float32)})
for i, w in enumerate(start):
    arrays["fit_start%d" % i] = w
for i, w in enumerate(m.get_weights()):
    arrays["fit_end%d" % i] = w
arrays["fit_h1"], arrays["fit_c1"] = [s.numpy() for s in l1.states]
arrays["fit_h2"], arrays["fit_c2"] = [s.numpy() for s in l2.states]
arrays["fit_pred"] = m.predict(xf[:B], batch_size=B, verbose=0)  # continues from the trained state
write_set("rnn_stateful", arrays, batch=B)
