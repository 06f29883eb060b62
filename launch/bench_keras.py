"""The Keras side of launch/bench: trains the same model on the same data as strata-bench and prints one line
`BENCH {json}` (seconds per epoch, samples, peak RSS, backend, threads).

usage: bench_keras.py DIR [--epochs E] [--threads T]
  DIR holds model.json (the config's layers as Keras class names and arguments, optimizer, loss, batch size) and
  data.h5 (x_train, y_train[, x_val, y_val]), both written by `strata-bench prepare`. Each layer is built as
  getattr(keras.layers, class_name)(**config); input_dim / input_shape / batch_input_shape become a keras.Input.
  Needs Python with keras, a backend (tensorflow-cpu) and h5py:
      python3 -m venv ~/kerasvenv && ~/kerasvenv/bin/pip install keras tensorflow-cpu h5py
  then STRATA_KERAS_PYTHON=~/kerasvenv/bin/python launch/bench --peer keras
"""
import argparse
import json
import os
import resource
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["OMP_NUM_THREADS"] = str(a.threads)
os.environ["TF_NUM_INTRAOP_THREADS"] = str(a.threads)
os.environ["TF_NUM_INTEROP_THREADS"] = "1"
import warnings

warnings.filterwarnings("ignore")
import h5py
import numpy as np
import keras

backend = keras.backend.backend()
if backend == "tensorflow":
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
elif backend == "torch":
    import torch

    torch.set_num_threads(a.threads)

spec = json.load(open(os.path.join(a.dir, "model.json")))
with h5py.File(os.path.join(a.dir, "data.h5"), "r") as f:
    x, y = f["x_train"][()], f["y_train"][()]
    val = (f["x_val"][()], f["y_val"][()]) if "x_val" in f else None

def make_layer(class_name, args):
    """A Keras layer from its class name and arguments; a wrapper's `layer` (Bidirectional, TimeDistributed) is
    itself a {class_name, config} and is built first."""
    inner = args.get("layer")
    if isinstance(inner, dict) and "class_name" in inner:
        args["layer"] = make_layer(inner["class_name"], dict(inner.get("config", {})))
    return getattr(keras.layers, class_name)(**args)


layers = []
inp = None
first = spec["layers"][0]["class_name"]
for i, l in enumerate(spec["layers"]):
    args = dict(l["config"])
    shape = args.pop("input_shape", None)
    dim = args.pop("input_dim", None) if l["class_name"] != "Embedding" else None
    batch_shape = args.pop("batch_input_shape", None)
    if l["class_name"] == "Embedding" and "input_shape" in l["config"]:
        pass
    if i == 0:
        if batch_shape:
            inp = keras.Input(batch_shape=tuple(batch_shape), dtype="int32" if first == "Embedding" else "float32")
        elif shape or dim:
            inp = keras.Input(shape=tuple(shape) if shape else (dim,), dtype="int32" if first == "Embedding" else "float32")
    layers.append(make_layer(l["class_name"], args))
model = keras.Sequential(([inp] if inp is not None else []) + layers)
if first == "Embedding":
    x = x.astype("int32")
    if val:
        val = (val[0].astype("int32"), val[1])

opt = spec["optimizer"]
oargs = dict(opt["args"])
if "lr" in oargs:
    oargs["learning_rate"] = oargs.pop("lr")
if "decay" in oargs:  # Keras 2's lr / (1 + decay * iterations)
    decay = oargs.pop("decay")
    if decay:
        oargs["learning_rate"] = keras.optimizers.schedules.InverseTimeDecay(
            oargs.get("learning_rate", 0.01), decay_steps=1, decay_rate=decay)
name = opt["name"]
optimizer = keras.optimizers.get({"class_name": name, "config": oargs}) if oargs else keras.optimizers.get(name)
model.compile(optimizer=optimizer, loss=spec["loss"], metrics=spec["metrics"])


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.t)


timer = EpochTimer()
history = model.fit(x, y, batch_size=spec["batch_size"], epochs=a.epochs, shuffle=spec["shuffle"], verbose=0,
                    validation_data=val, callbacks=[timer])
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("BENCH " + json.dumps({
    "engine": "keras", "backend": backend, "keras": keras.__version__, "epoch_seconds": timer.seconds,
    "samples": int(x.shape[0]), "validation_samples": int(val[0].shape[0]) if val else 0,
    "batch_size": spec["batch_size"], "threads": a.threads, "kernel": backend, "peak_rss_mb": [round(rss_mb, 1)],
    "parameters": int(model.count_params())}))
# The last epoch's validation figures (Keras's accuracy on the config's split, for the README's comparisons);
# launch/bench reads only the BENCH line.
print("VALIDATION " + json.dumps({k: v[-1] for k, v in history.history.items() if k.startswith("val_")}))
