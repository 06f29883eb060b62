"""Opens a Strata (or any Keras legacy) .h5 model in Python Keras and predicts: the other half of interop.

usage: keras_check.py MODEL.h5 [X.h5] [--x DATASET] [--out PRED.h5] [--fit]
  Loads MODEL.h5 with keras.models.load_model (Keras 3) and, if installed, tf_keras; predicts on dataset
  DATASET (default "x") of X.h5 (default: 4 random rows of the model's input shape); prints both predictions'
  agreement; --out writes them as datasets "keras3" and "tf_keras"; --fit runs one training epoch on the loaded
  model (checks that the file is trainable in Keras, not just loadable).
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import warnings

warnings.filterwarnings("ignore")
import h5py
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("x", nargs="?")
ap.add_argument("--x", dest="xname", default="x")
ap.add_argument("--out")
ap.add_argument("--fit", action="store_true")
a = ap.parse_args()

import keras

results = {}
m = keras.models.load_model(a.model)
if a.x:
    with h5py.File(a.x, "r") as f:
        x = f[a.xname][()].astype("float32")
else:
    x = np.random.RandomState(0).uniform(-1, 1, (4,) + tuple(m.input_shape[1:])).astype("float32")
results["keras3"] = m.predict(x, verbose=0)
print(f"keras {keras.__version__}: loaded {a.model} ({len(m.layers)} layers), predictions {results['keras3'].shape}")
if a.fit:
    if m.optimizer is None:
        m.compile(optimizer="sgd", loss="mse")
    m.fit(x, results["keras3"], epochs=1, verbose=0)
    print("keras: fit ran on the loaded model")
try:
    import tf_keras
    t = tf_keras.models.load_model(a.model)
    results["tf_keras"] = t.predict(x, verbose=0)
    d = float(np.max(np.abs(results["tf_keras"] - results["keras3"])))
    print(f"tf_keras {tf_keras.__version__}: loaded, max |tf_keras - keras3| = {d:.3g}")
except ImportError:
    print("tf_keras not installed: skipped")
if a.out:
    with h5py.File(a.out, "w") as f:
        for k, v in results.items():
            f[k] = v
    print("wrote", a.out)
