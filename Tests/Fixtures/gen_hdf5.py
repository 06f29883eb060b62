"""HDF5 interop fixtures (issue 6): small .h5 models written by real Keras 3 and tf-keras, an input batch and
their predictions. Tests/StrataHDF5Tests/KerasInteropTests.swift loads each file, predicts, compares (1e-5).

  keras3_mlp.h5      Keras 3.15.1 model.save(): InputLayer(batch_shape), Dense relu, Dropout, Dense hard_sigmoid
                     (Keras 3's relu6(x+3)/6), Dense softmax; compiled SGD(momentum, nesterov), fitted 1 epoch
  tfkeras_mlp.h5     tf-keras 2.21.0 model.save(): same architecture; its hard_sigmoid is clip(0.2x+0.5, 0, 1)
  keras2_style.h5    tf-keras file rewritten to the Keras 2.2.4 dialect: no InputLayer, batch_input_shape on
                     the first layer, optimizer config with `lr` (keras-format.md 1.11.2)
  keras3_unsupported.h5  Keras 3 model with a UnitNormalization layer (Strata must name the class in its error)
Run: /tmp/kerasvenv/bin/python Tests/Fixtures/make_fixtures.py gen_hdf5   (needs tf-keras==2.21.0 as well)
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import h5py
import numpy as np
import keras
import tf_keras

from fixture_util import ROOT, write_set

SET = "hdf5"
folder = os.path.join(ROOT, SET)
os.makedirs(folder, exist_ok=True)
rng = np.random.RandomState(6)
x = rng.uniform(-2, 2, (7, 6)).astype("float32")
x_fit = rng.uniform(-2, 2, (32, 6)).astype("float32")
y_fit = np.eye(4, dtype="float32")[rng.randint(0, 4, 32)]


def layers(k, first_kwargs):
    return [k.layers.Dense(5, activation="relu", **first_kwargs), k.layers.Dropout(0.2),
            k.layers.Dense(3, activation="hard_sigmoid"), k.layers.Dense(4, activation="softmax")]


keras.utils.set_random_seed(1)
k3 = keras.Sequential([keras.Input((6,))] + layers(keras, {}))
k3.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True), loss="categorical_crossentropy", metrics=["accuracy"])
k3.fit(x_fit, y_fit, epochs=1, batch_size=8, verbose=0)
k3.save(os.path.join(folder, "keras3_mlp.h5"))

tf_keras.utils.set_random_seed(2)
tk = tf_keras.Sequential(layers(tf_keras, {"input_shape": (6,)}))
tk.compile(optimizer=tf_keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
tk.fit(x_fit, y_fit, epochs=1, batch_size=8, verbose=0)
tk.save(os.path.join(folder, "tfkeras_mlp.h5"))

# Keras 2.2.4 dialect: drop the InputLayer, keep batch_input_shape on the first layer, `lr` in the optimizer.
k2_path = os.path.join(folder, "keras2_style.h5")
tk.save(k2_path)
with h5py.File(k2_path, "r+") as f:
    cfg = json.loads(f.attrs["model_config"])
    cfg["config"]["layers"] = [l for l in cfg["config"]["layers"] if l["class_name"] != "InputLayer"]
    f.attrs["model_config"] = json.dumps(cfg).encode("utf8")
    f.attrs["keras_version"] = b"2.2.4"
    f.attrs["training_config"] = json.dumps({"optimizer_config": {"class_name": "Adam", "config": {"lr": 0.01, "decay": 0.0}},
                                             "loss": "categorical_crossentropy", "metrics": ["acc"],
                                             "sample_weight_mode": None, "loss_weights": None}).encode("utf8")
    if "optimizer_weights" in f:
        del f["optimizer_weights"]

bn = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3), keras.layers.UnitNormalization()])
bn.save(os.path.join(folder, "keras3_unsupported.h5"))

write_set(SET, {"x": x, "keras3_pred": k3.predict(x, verbose=0), "tfkeras_pred": tk.predict(x, verbose=0)},
          tf_keras=tf_keras.__version__,
          files=["keras3_mlp.h5", "tfkeras_mlp.h5", "keras2_style.h5", "keras3_unsupported.h5"])
print("wrote", folder)
