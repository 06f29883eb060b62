"""Makes configs/data/addition.h5, the data of Keras's "Sequence to sequence learning for performing number
addition" example (keras-io examples/nlp/addition_rnn.py) in small: questions "a+b" with a, b of 1 to 3 digits,
padded with spaces to 7 characters and reversed (the example's REVERSE = True), answers a+b padded to 4.
Characters "0123456789+ " one-hot encoded. Deterministic (numpy RandomState(1337)); each unordered pair once.
Layout: x_train (12000, 7, 12), y_train (12000, 4, 12), x_test (1200, 7, 12), y_test (1200, 4, 12), uint8 one-hot,
gzip-compressed.
    python3 configs/data/make_addition.py
"""
import os

import h5py
import numpy as np

DIGITS, MAXLEN, CHARS = 3, 7, "0123456789+ "
TRAIN, TEST = 12000, 1200
rng = np.random.RandomState(1337)


def number():
    return int("".join(rng.choice(list("0123456789")) for _ in range(rng.randint(1, DIGITS + 1))))


questions, answers, seen = [], [], set()
while len(questions) < TRAIN + TEST:
    a, b = number(), number()
    key = tuple(sorted((a, b)))
    if key in seen:
        continue
    seen.add(key)
    q = f"{a}+{b}".ljust(MAXLEN)
    questions.append(q[::-1])
    answers.append(str(a + b).ljust(DIGITS + 1))


def one_hot(strings, length):
    out = np.zeros((len(strings), length, len(CHARS)), np.uint8)
    for i, s in enumerate(strings):
        for t, c in enumerate(s):
            out[i, t, CHARS.index(c)] = 1
    return out


x, y = one_hot(questions, MAXLEN), one_hot(answers, DIGITS + 1)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "addition.h5")
with h5py.File(out, "w") as f:
    for name, rows in (("train", slice(0, TRAIN)), ("test", slice(TRAIN, TRAIN + TEST))):
        f.create_dataset("x_" + name, data=x[rows], compression="gzip", chunks=(200, MAXLEN, len(CHARS)))
        f.create_dataset("y_" + name, data=y[rows], compression="gzip", chunks=(200, DIGITS + 1, len(CHARS)))
