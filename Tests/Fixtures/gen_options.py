"""Training-option fixtures (issue 16, optimizers part): AdamW, Lion, Ftrl, Adafactor, weight_decay, clipnorm /
clipvalue / global_clipnorm, EMA and the learning-rate schedules, each as a few whole-batch fit steps of Keras 3
(TensorFlow backend) from the same weights, plus every schedule's value at steps 0..11. Run through make_fixtures.py:
    /root/.cache/strata/kerasvenv/bin/python Tests/Fixtures/make_fixtures.py gen_options
Optimizer arguments are stored as Keras's own `get_config()` of the optimizer (schedules serialised as
{"module": "keras.optimizers.schedules", "class_name": ..., "config": ...}), so the tests read them the way a
Keras file's training_config is read.
"""
import numpy as np
import keras

from fixture_util import write_set

rng = np.random.default_rng(20261207)
O = keras.optimizers
S = keras.optimizers.schedules


def f32(a):
    return np.asarray(a, dtype=np.float32)


x = f32(rng.uniform(-1, 1, (8, 3)))
y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 8)]
spec = [{"class": "Dense", "units": 4, "activation": "tanh"}, {"class": "Dense", "units": 2, "activation": "softmax"}]
start = None


def build():
    global start
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(2, activation="softmax")])
    if start is None:
        start = [f32(rng.uniform(-0.9, 0.9, w.shape)) for w in model.get_weights()]
    model.set_weights(start)
    return model


def config_of(opt):
    """The optimizer's Keras config as a training_config holds it (schedules serialised), nulls dropped."""
    c = keras.saving.serialize_keras_object(opt)["config"]
    return {k: v for k, v in c.items() if v is not None}


sets = {
    # new optimizers (Keras defaults except the learning rate)
    "adamw": lambda: O.AdamW(learning_rate=0.01),
    "adamw_amsgrad_wd": lambda: O.AdamW(learning_rate=0.01, weight_decay=0.2, amsgrad=True),
    "lion": lambda: O.Lion(learning_rate=0.01),
    "lion_wd": lambda: O.Lion(learning_rate=0.01, weight_decay=0.5, beta_1=0.8, beta_2=0.95),
    "ftrl": lambda: O.Ftrl(learning_rate=0.1),
    "ftrl_regularized": lambda: O.Ftrl(learning_rate=0.1, learning_rate_power=-0.7, initial_accumulator_value=0.2,
                                       l1_regularization_strength=0.01, l2_regularization_strength=0.02,
                                       l2_shrinkage_regularization_strength=0.03, beta=0.1),
    "adafactor": lambda: O.Adafactor(learning_rate=0.1),
    "adafactor_fixed": lambda: O.Adafactor(learning_rate=0.05, relative_step=False, beta_2_decay=-0.6,
                                           clip_threshold=0.5),
    # weight decay on the older optimizers
    "sgd_wd": lambda: O.SGD(learning_rate=0.1, momentum=0.9, weight_decay=0.1),
    "adam_wd": lambda: O.Adam(learning_rate=0.01, weight_decay=0.1),
    "rmsprop_wd": lambda: O.RMSprop(learning_rate=0.01, weight_decay=0.05),
    # clipping
    "sgd_clipnorm": lambda: O.SGD(learning_rate=0.5, clipnorm=0.05),
    "adam_clipnorm": lambda: O.Adam(learning_rate=0.01, clipnorm=0.05),
    "sgd_clipvalue": lambda: O.SGD(learning_rate=0.5, clipvalue=0.02),
    "rmsprop_clipvalue": lambda: O.RMSprop(learning_rate=0.01, clipvalue=0.02),
    "sgd_global_clipnorm": lambda: O.SGD(learning_rate=0.5, global_clipnorm=0.1),
    "adam_global_clipnorm_wd": lambda: O.Adam(learning_rate=0.01, global_clipnorm=0.1, weight_decay=0.1),
    # exponential moving average of the weights (fit ends with finalize_variable_values)
    "sgd_ema": lambda: O.SGD(learning_rate=0.5, use_ema=True, ema_momentum=0.8),
    "adam_ema_overwrite": lambda: O.Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.7, ema_overwrite_frequency=2),
    # learning-rate schedules
    "sgd_exponential": lambda: O.SGD(learning_rate=S.ExponentialDecay(0.5, decay_steps=2, decay_rate=0.5)),
    "sgd_exponential_staircase": lambda: O.SGD(learning_rate=S.ExponentialDecay(0.5, 2, 0.5, staircase=True)),
    "sgd_piecewise": lambda: O.SGD(learning_rate=S.PiecewiseConstantDecay([1, 3], [0.5, 0.2, 0.05]), momentum=0.5),
    "sgd_polynomial": lambda: O.SGD(learning_rate=S.PolynomialDecay(0.5, 4, end_learning_rate=0.01, power=2.0)),
    "sgd_polynomial_cycle": lambda: O.SGD(learning_rate=S.PolynomialDecay(0.5, 2, end_learning_rate=0.05, cycle=True)),
    "sgd_inverse_time": lambda: O.SGD(learning_rate=S.InverseTimeDecay(0.5, 2, 0.7)),
    "sgd_inverse_time_staircase": lambda: O.SGD(learning_rate=S.InverseTimeDecay(0.5, 2, 0.7, staircase=True)),
    "sgd_cosine": lambda: O.SGD(learning_rate=S.CosineDecay(0.5, 4, alpha=0.1)),
    "adam_cosine_warmup": lambda: O.Adam(learning_rate=S.CosineDecay(0.0, 3, alpha=0.2, warmup_target=0.05,
                                                                     warmup_steps=2)),
    "sgd_cosine_restarts": lambda: O.SGD(learning_rate=S.CosineDecayRestarts(0.5, 2, t_mul=2.0, m_mul=0.5,
                                                                             alpha=0.1)),
    "sgd_cosine_restarts_tmul1": lambda: O.SGD(learning_rate=S.CosineDecayRestarts(0.5, 2, t_mul=1.0, m_mul=0.8)),
}

steps = 6
for key, make in sets.items():
    model = build()
    opt = make()
    model.compile(optimizer=opt, loss="categorical_crossentropy")
    h = model.fit(x, y, batch_size=len(x), epochs=steps, shuffle=False, verbose=0)
    arrays = {"x": x, "y": y}
    arrays.update({f"start{i}": w for i, w in enumerate(start)})
    arrays.update({f"end{i}": w for i, w in enumerate(model.get_weights())})
    lr = opt._learning_rate
    if isinstance(lr, S.LearningRateSchedule):
        arrays["schedule"] = f32([float(keras.ops.convert_to_numpy(lr(t))) for t in range(12)])
    write_set(f"opt_{key}", arrays, layers=spec, input_dim=3, optimizer=type(opt).__name__,
              optimizer_args=config_of(opt), loss="categorical_crossentropy", steps=steps,
              step_losses=[float(v) for v in h.history["loss"]], weights=len(start))
write_set("opt_index", {}, sets=[f"opt_{k}" for k in sets])

# Adafactor on weights of rank 3 and 4 (conv kernels), whose second moments factor over the last two axes:
# three apply_gradients steps on two variables at once.
shapes = [(2, 3, 4), (3, 2, 2, 5), (4,)]
w0 = [f32(rng.uniform(-1, 1, s)) for s in shapes]
grads = [[f32(rng.normal(0, 1, s)) for s in shapes] for _ in range(3)]
variables = [keras.Variable(w) for w in w0]
opt = O.Adafactor(learning_rate=0.1)
for step in grads:
    opt.apply_gradients(zip(step, variables))
arrays = {f"start{i}": w for i, w in enumerate(w0)}
arrays.update({f"grad{k}_{i}": g for k, step in enumerate(grads) for i, g in enumerate(step)})
arrays.update({f"end{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(variables)})
write_set("opt_adafactor_rank34", arrays, shapes=[list(s) for s in shapes], steps=len(grads),
          optimizer_args=config_of(opt))
