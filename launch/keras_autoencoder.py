"""The Keras side of the README's autoencoder figure: the model of configs/mnist_autoencoder.yaml (and
Sources/Examples/mnist-autoencoder) trained by Keras on the same split of configs/data/mnist-5k.h5 with the same
optimizer, batch size and epochs; prints the test reconstruction loss (per-pixel binary crossentropy).

usage: keras_autoencoder.py [MNIST.h5] [--epochs 5] [--seed 42]
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import h5py
import keras
from keras import layers

ap = argparse.ArgumentParser()
ap.add_argument("data", nargs="?", default="configs/data/mnist-5k.h5")
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--seed", type=int, default=42)
a = ap.parse_args()
keras.utils.set_random_seed(a.seed)
with h5py.File(a.data, "r") as f:
    x_train = (f["x_train"][()].astype("float32") / 255).reshape(-1, 28, 28, 1)
    x_test = (f["x_test"][()].astype("float32") / 255).reshape(-1, 28, 28, 1)
model = keras.Sequential([
    keras.Input((28, 28, 1)),
    layers.Conv2D(16, 3, activation="relu", padding="same"),
    layers.MaxPooling2D(2),
    layers.Conv2D(8, 3, activation="relu", padding="same"),
    layers.MaxPooling2D(2),
    layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same"),
    layers.UpSampling2D(2),
    layers.Conv2D(16, 3, activation="relu", padding="same"),
    layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
])
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x_train, x_train, batch_size=128, epochs=a.epochs, validation_data=(x_test, x_test), verbose=2)
print("keras %s: test reconstruction loss (binary crossentropy per pixel): %.4f"
      % (keras.__version__, model.evaluate(x_test, x_test, batch_size=128, verbose=0)))
