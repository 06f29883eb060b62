"""Shared writer for Keras fixtures: every fixture set is a folder of .npy files plus a manifest.json.

Scheme (read by Tests/TestSupport/Fixtures.swift):
  Tests/Fixtures/<set>/manifest.json   {"set": ..., "keras": version, "backend": ..., "arrays": {name: {"shape": [...], "dtype": ...}}, ...extra}
  Tests/Fixtures/<set>/<name>.npy      little-endian, C order; float32 unless the array is integer ids
"""
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.abspath(__file__))


def write_set(name, arrays, **extra):
    """Writes `arrays` (dict name -> ndarray) and a manifest with `extra` keys into Tests/Fixtures/<name>/."""
    import keras
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    meta = {}
    for key, value in arrays.items():
        a = np.asarray(value)
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        a = np.ascontiguousarray(a)
        np.save(os.path.join(folder, key + ".npy"), a)
        meta[key] = {"shape": list(a.shape), "dtype": str(a.dtype)}
    manifest = {"set": name, "keras": keras.__version__, "backend": keras.backend.backend(), "arrays": meta}
    manifest.update(extra)
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


def write_layer_case(name, layer, shape, rng, x_scale=1.0):
    """One layer fixture set `name` (gen_conv.py's scheme): x (batch 2, standard normal times `x_scale`), the layer's weights (random, so the test
    does not depend on initialisation), y = layer(x), r (random, y's shape) and the gradients of sum(y * r) with
    respect to x and each weight by tf.GradientTape; the manifest carries the class, get_config() (initializers by
    class name) and the input shape. Returns the arrays."""
    import tensorflow as tf
    x = (x_scale * rng.standard_normal((2,) + shape)).astype(np.float32)
    layer.build((None,) + shape)
    arrays = {"x": x}
    weights = []
    for w in layer.weights:
        value = (0.5 * rng.standard_normal(w.shape)).astype(np.float32)
        w.assign(value)
        key = w.path.split("/")[-1]
        arrays[key] = value
        weights.append((key, w))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        r = tf.constant(rng.standard_normal(y.shape).astype(np.float32))
        loss = tf.reduce_sum(y * r)
    grads = tape.gradient(loss, [xt] + [w.value for _, w in weights])
    arrays["y"] = y.numpy()
    arrays["r"] = r.numpy()
    arrays["dx"] = grads[0].numpy()
    for (key, _), g in zip(weights, grads[1:]):
        arrays["d" + key] = g.numpy()
    config = layer.get_config()
    config.pop("dtype", None)
    for k in list(config):
        if k.endswith("_initializer"):
            config[k] = config[k]["class_name"]
    write_set(name, arrays, class_name=layer.__class__.__name__, config=config, input_shape=list(shape))
    return arrays
