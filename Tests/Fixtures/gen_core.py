"""Core fixtures (issue 2): activations, Dense forward, losses, optimizer and loss training steps, epoch figures,
count_params. Every number comes from real Keras 3 (TensorFlow backend); run through make_fixtures.py:
    /tmp/kerasvenv/bin/python Tests/Fixtures/make_fixtures.py gen_core
"""
import numpy as np
import keras
import tensorflow as tf

from fixture_util import write_set

rng = np.random.default_rng(20261129)


def f32(a):
    return np.asarray(a, dtype=np.float32)


# --- activations: keras.activations.<name>(x), x kept away from the relu / hard_sigmoid kinks -------------------
x = f32(np.linspace(-5.3, 5.1, 24).reshape(4, 6))
acts = ["linear", "relu", "sigmoid", "tanh", "softmax", "hard_sigmoid", "elu", "selu", "softplus", "softsign"]
arrays = {"x": x}
for name in acts:
    arrays[name] = keras.ops.convert_to_numpy(keras.activations.get(name)(tf.constant(x)))
write_set("core_activations", arrays, activations=acts)


# --- models: spec -> Keras model --------------------------------------------------------------------------------
def build(spec, input_shape):
    layers = [keras.Input(shape=input_shape)]
    for s in spec:
        if s["class"] == "Dense":
            layers.append(keras.layers.Dense(s["units"], activation=s.get("activation")))
        else:
            layers.append(keras.layers.Activation(s["activation"]))
    model = keras.Sequential(layers)
    weights = [f32(rng.uniform(-0.7, 0.7, w.shape)) for w in model.get_weights()]
    model.set_weights(weights)
    return model


# Dense forward on rank-2 and rank-3 inputs.
spec = [{"class": "Dense", "units": 5, "activation": "relu"}, {"class": "Dense", "units": 3, "activation": "softmax"}]
model = build(spec, (4,))
xd = f32(rng.uniform(-1, 1, (6, 4)))
arrays = {"x": xd, "y": model.predict(xd, verbose=0)}
arrays.update({f"w{i}": w for i, w in enumerate(model.get_weights())})
write_set("core_dense", arrays, layers=spec, input_shape=[4], weights=len(model.get_weights()))

spec3 = [{"class": "Dense", "units": 2, "activation": "tanh"}]
model = build(spec3, (3, 4))
x3 = f32(rng.uniform(-1, 1, (2, 3, 4)))
arrays = {"x": x3, "y": model.predict(x3, verbose=0)}
arrays.update({f"w{i}": w for i, w in enumerate(model.get_weights())})
write_set("core_dense_rank3", arrays, layers=spec3, input_shape=[3, 4], weights=2)


# --- losses from probabilities (keras.losses.<fn> on plain arrays: clipped) and from logits (TF shortcut) --------
n, k = 5, 3
y_onehot = np.eye(k, dtype=np.float32)[rng.integers(0, k, n)]
y_sparse = f32(np.argmax(y_onehot, axis=1))
p = f32(rng.uniform(0.05, 1, (n, k)))
p[0] = [1.0, 0.0, 0.0]          # exercises the clip at eps and 1 - eps
p = p / p.sum(axis=1, keepdims=True)
y_bin = f32(rng.integers(0, 2, (n, k)))
p_bin = f32(rng.uniform(0.02, 0.98, (n, k)))
p_bin[0, 0] = 0.0
p_bin[0, 1] = 1.0
z = f32(rng.normal(0, 2, (n, k)))
z[0] = [20.0, -20.0, 0.0]        # logits whose probabilities clipping would distort
reg_true = f32(rng.normal(0, 1, (n, k)))
reg_pred = f32(rng.normal(0, 1, (n, k)))
L = keras.losses
cv = keras.ops.convert_to_numpy
zt = tf.constant(z)
arrays = {
    "y_onehot": y_onehot, "y_sparse": y_sparse, "p": p, "y_bin": y_bin, "p_bin": p_bin, "z": z,
    "reg_true": reg_true, "reg_pred": reg_pred,
    "cce_prob": cv(L.categorical_crossentropy(y_onehot, p)),
    "scce_prob": cv(L.sparse_categorical_crossentropy(y_sparse, p)),
    "bce_prob": cv(L.binary_crossentropy(y_bin, p_bin)),
    "cce_logits": cv(L.categorical_crossentropy(tf.constant(y_onehot), keras.activations.softmax(zt))),
    "scce_logits": cv(L.sparse_categorical_crossentropy(tf.constant(y_sparse), keras.activations.softmax(zt))),
    "bce_logits": cv(L.binary_crossentropy(tf.constant(y_bin), keras.activations.sigmoid(zt))),
    "mse": cv(L.mean_squared_error(reg_true, reg_pred)),
    "mae": cv(L.mean_absolute_error(reg_true, reg_pred)),
}
write_set("core_losses", arrays)


# --- training: k train_on_batch steps (whole batch), weights before/after, losses, evaluate -------------------
def training_set(name, spec, input_dim, x, y, optimizer, opt_args, loss, keras_optimizer, steps=3, metrics=("accuracy",)):
    model = build(spec, (input_dim,))
    w0 = [w.copy() for w in model.get_weights()]
    model.compile(optimizer=keras_optimizer, loss=loss, metrics=list(metrics))
    losses = [float(model.train_on_batch(x, y, return_dict=True)["loss"]) for _ in range(steps)]
    w1 = model.get_weights()
    ev = model.evaluate(x, y, verbose=0, return_dict=True)
    arrays = {"x": x, "y": y}
    arrays.update({f"start{i}": w for i, w in enumerate(w0)})
    arrays.update({f"end{i}": w for i, w in enumerate(w1)})
    write_set(name, arrays, layers=spec, input_dim=input_dim, optimizer=optimizer, optimizer_args=opt_args,
              loss=loss, steps=steps, step_losses=losses, metrics=list(metrics), weights=len(w0),
              evaluate={key: float(v) for key, v in ev.items()})


xo = f32(rng.uniform(-1, 1, (8, 3)))
yo = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 8)]
mlp = [{"class": "Dense", "units": 4, "activation": "tanh"}, {"class": "Dense", "units": 2, "activation": "softmax"}]
O = keras.optimizers
optimizers = {
    "sgd": ({"learning_rate": 0.1}, lambda a: O.SGD(**a)),
    "sgd_momentum": ({"learning_rate": 0.1, "momentum": 0.9}, lambda a: O.SGD(**a)),
    "sgd_nesterov": ({"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, lambda a: O.SGD(**a)),
    # Keras 2's legacy decay: lr / (1 + decay * t) = Keras 3 InverseTimeDecay(lr, decay_steps=1, decay_rate=decay).
    "sgd_decay": ({"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "decay": 0.5},
                  lambda a: O.SGD(learning_rate=O.schedules.InverseTimeDecay(0.1, 1, 0.5), momentum=0.9, nesterov=True)),
    "rmsprop": ({"learning_rate": 0.01}, lambda a: O.RMSprop(**a)),
    "rmsprop_momentum": ({"learning_rate": 0.01, "momentum": 0.5}, lambda a: O.RMSprop(**a)),
    "rmsprop_centered": ({"learning_rate": 0.01, "centered": True}, lambda a: O.RMSprop(**a)),
    "rmsprop_centered_momentum": ({"learning_rate": 0.01, "centered": True, "momentum": 0.5}, lambda a: O.RMSprop(**a)),
    "adagrad": ({"learning_rate": 0.1}, lambda a: O.Adagrad(**a)),
    "adam": ({"learning_rate": 0.01}, lambda a: O.Adam(**a)),
    "adam_amsgrad": ({"learning_rate": 0.01, "amsgrad": True}, lambda a: O.Adam(**a)),
    "adadelta": ({"learning_rate": 1.0}, lambda a: O.Adadelta(**a)),
    "adamax": ({"learning_rate": 0.01}, lambda a: O.Adamax(**a)),
    "nadam": ({"learning_rate": 0.01}, lambda a: O.Nadam(**a)),
}
for key, (args, make) in optimizers.items():
    opt_id = key.split("_")[0]
    training_set(f"core_opt_{key}", mlp, 3, xo, yo, opt_id, args, "categorical_crossentropy", make(args))
write_set("core_opt_index", {}, sets=[f"core_opt_{k}" for k in optimizers])

# One set per loss (SGD 0.1): logits path after softmax / sigmoid (Dense or Activation layer), probabilities
# never reach a clip there; mse / mae after a linear output.
yl = f32(rng.integers(0, 3, 8))
ym = f32(rng.integers(0, 2, (8, 2)))
yb = f32(rng.integers(0, 2, (8, 1)))
yr = f32(rng.normal(0, 1, (8, 2)))
loss_sets = {
    "cce_softmax": ([{"class": "Dense", "units": 4, "activation": "relu"}, {"class": "Dense", "units": 3, "activation": "softmax"}],
                    np.eye(3, dtype=np.float32)[yl.astype(int)], "categorical_crossentropy"),
    "scce_softmax": ([{"class": "Dense", "units": 4, "activation": "relu"}, {"class": "Dense", "units": 3, "activation": "softmax"}],
                     yl, "sparse_categorical_crossentropy"),
    "scce_activation": ([{"class": "Dense", "units": 3}, {"class": "Activation", "activation": "softmax"}],
                        yl.reshape(8, 1), "sparse_categorical_crossentropy"),
    "bce_sigmoid": ([{"class": "Dense", "units": 4, "activation": "elu"}, {"class": "Dense", "units": 1, "activation": "sigmoid"}],
                    yb, "binary_crossentropy"),
    "bce_multilabel": ([{"class": "Dense", "units": 2}, {"class": "Activation", "activation": "sigmoid"}], ym, "binary_crossentropy"),
    "mse_linear": ([{"class": "Dense", "units": 4, "activation": "selu"}, {"class": "Dense", "units": 2}], yr, "mean_squared_error"),
    "mae_linear": ([{"class": "Dense", "units": 4, "activation": "softsign"}, {"class": "Dense", "units": 2}], yr, "mean_absolute_error"),
}
for key, (spec, y, loss) in loss_sets.items():
    metrics = ("mae",) if key.startswith(("mse", "mae")) else ("accuracy",)
    training_set(f"core_loss_{key}", spec, 3, xo, y, "sgd", {"learning_rate": 0.1}, loss, O.SGD(learning_rate=0.1),
                 metrics=metrics)
write_set("core_loss_index", {}, sets=[f"core_loss_{k}" for k in loss_sets])


# --- fit epoch figures: 5 samples, batch 2 (2 + 2 + 1), no shuffle: sample-weighted mean over the epoch ---------
xf = f32(rng.uniform(-1, 1, (5, 3)))
yf = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 5)]
model = build(mlp, (3,))
w0 = [w.copy() for w in model.get_weights()]
model.compile(optimizer=O.SGD(learning_rate=0.5), loss="categorical_crossentropy", metrics=["accuracy"])
hist = model.fit(xf, yf, batch_size=2, epochs=2, shuffle=False, verbose=0)
arrays = {"x": xf, "y": yf}
arrays.update({f"start{i}": w for i, w in enumerate(w0)})
arrays.update({f"end{i}": w for i, w in enumerate(model.get_weights())})
write_set("core_fit_epochs", arrays, layers=mlp, input_dim=3, batch_size=2, epochs=2, weights=4,
          history={key: [float(v) for v in vals] for key, vals in hist.history.items()})


# --- the guide's two MLPs: count_params per layer and in total ------------------------------------------------
def guide(last_units, last_act):
    keras.backend.clear_session()   # fresh layer names: dense, dropout, dense_1, ...
    m = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dropout(0.5),
                          keras.layers.Dense(64, activation="relu"), keras.layers.Dropout(0.5),
                          keras.layers.Dense(last_units, activation=last_act)])
    lines = []
    m.summary(print_fn=lambda line, **kw: lines.append(line))
    return {"total": m.count_params(), "per_layer": [l.count_params() for l in m.layers],
            "weight_shapes": [list(w.shape) for w in m.get_weights()], "summary": "\n".join(lines)}


write_set("core_guide_models", {}, softmax=guide(10, "softmax"), binary=guide(1, "sigmoid"))


# --- callbacks: Keras's own EarlyStopping / ReduceLROnPlateau driven epoch by epoch with given monitor values ---
def run_callback(cb, monitor, values, lr=0.1):
    m = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    m.compile(optimizer=O.SGD(learning_rate=lr), loss="mse")
    m.optimizer.build(m.trainable_variables)
    cb.set_model(m)
    m.stop_training = False
    cb.on_train_begin()
    stopped, lrs = None, []
    for epoch, v in enumerate(values):
        # Weights that say which epoch they come from (to see what restore_best_weights puts back).
        m.set_weights([np.full(w.shape, float(epoch), np.float32) for w in m.get_weights()])
        cb.on_epoch_end(epoch, {monitor: v})
        lrs.append(float(keras.ops.convert_to_numpy(m.optimizer.learning_rate)))
        if m.stop_training:
            stopped = epoch
            break
    cb.on_train_end()
    return {"stopped_epoch": stopped, "epochs_run": len(lrs), "learning_rates": lrs,
            "final_weight": float(m.get_weights()[0].ravel()[0])}


early = [
    {"args": {"monitor": "loss", "patience": 2}, "values": [1.0, 0.9, 0.95, 0.92, 0.91, 0.8]},
    {"args": {"monitor": "loss"}, "values": [1.0, 1.1, 0.5]},
    {"args": {"monitor": "loss", "patience": 1, "min_delta": 0.05}, "values": [1.0, 0.97, 0.9, 0.88, 0.87]},
    {"args": {"monitor": "loss", "patience": 2, "baseline": 0.5}, "values": [0.9, 0.8, 0.7, 0.75, 0.72, 0.71]},
    {"args": {"monitor": "loss", "patience": 2, "baseline": 0.5}, "values": [0.9, 0.95, 0.97, 0.4, 0.6]},
    {"args": {"monitor": "loss", "patience": 1, "start_from_epoch": 2}, "values": [1.0, 2.0, 3.0, 3.5, 4.0]},
    {"args": {"monitor": "accuracy", "patience": 1, "mode": "max"}, "values": [0.5, 0.6, 0.6, 0.55]},
    {"args": {"monitor": "loss", "patience": 1, "restore_best_weights": True}, "values": [1.0, 0.5, 0.7, 0.8]},
    {"args": {"monitor": "loss", "patience": 5, "restore_best_weights": True}, "values": [1.0, 0.5, 0.7, 0.8]},
]
for s in early:
    s["keras"] = run_callback(keras.callbacks.EarlyStopping(**s["args"]), s["args"]["monitor"], s["values"])
plateau = [
    {"args": {"monitor": "loss", "factor": 0.5, "patience": 1, "cooldown": 1, "min_lr": 0.01},
     "values": [1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]},
    {"args": {"monitor": "loss", "factor": 0.1, "patience": 2}, "values": [1.0, 0.99995, 0.9999, 0.8, 0.8, 0.8, 0.79]},
    {"args": {"monitor": "val_accuracy", "factor": 0.2, "patience": 1, "mode": "max", "cooldown": 2},
     "values": [0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]},
]
for s in plateau:
    s["keras"] = run_callback(keras.callbacks.ReduceLROnPlateau(**s["args"]), s["args"]["monitor"], s["values"])
write_set("core_callbacks", {}, early_stopping=early, reduce_lr_on_plateau=plateau, initial_lr=0.1)
