"""Regenerates every Keras fixture set: runs each gen_*.py in this folder (one per layer family / issue).

Pinned: keras==3.15.1, tensorflow-cpu==2.21.0 (TensorFlow backend), numpy, h5py (and tf-keras==2.21.0 for
the interop files). Rerunnable; not run by CI: the outputs are committed.
    python3 -m venv /tmp/kerasvenv && /tmp/kerasvenv/bin/pip install keras==3.15.1 tensorflow-cpu==2.21.0 h5py
    /tmp/kerasvenv/bin/python Tests/Fixtures/make_fixtures.py [gen_core ...]
"""
import glob
import os
import runpy
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
wanted = set(sys.argv[1:])
for path in sorted(glob.glob(os.path.join(here, "gen_*.py"))):
    name = os.path.splitext(os.path.basename(path))[0]
    if wanted and name not in wanted:
        continue
    print("==", name)
    runpy.run_path(path, run_name="__main__")
