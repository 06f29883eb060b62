#!/usr/bin/env bash
# A checkpoint written by Strata before callback state was saved by key (commit 63babba: callbacks by list position,
# step sums inside Parameters), and the weights its uninterrupted run ends with. Made once with that commit's
# strata-hdf5-check (OLD below); ModelCheckpointTests.testCheckpointWrittenBeforeTheTrainerResumes resumes it with
# today's code and expects final.bin bit for bit.
set -euo pipefail
OLD=${1:?usage: make.sh <strata-hdf5-check built from commit 63babba>}
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1
"$OLD" make-data data.h5 --rows 48 --features 6 --classes 3
"$OLD" train data.h5 "$tmp/run" --epochs 2 --batch 16 --freq steps:4 --keep 10   # saves after step 4: epoch 2, batch 1
cp "$tmp/run/ckpt-02.h5" ckpt-02.h5
cp "$tmp/run/final.bin" final.bin
