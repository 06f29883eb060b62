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
