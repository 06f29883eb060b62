"""Losses, metrics and sample/class weights (issue 16): every number comes from real Keras 3 (TensorFlow backend).
    /root/.cache/strata/kerasvenv/bin/python Tests/Fixtures/make_fixtures.py gen_losses_metrics

Sets:
  lm_losses        per case: inputs, keras.losses.<Class>(**args) per-sample values (reduction=None) and
                   d(sum of values)/d(y_pred) by tf.GradientTape
  lm_metrics       per case: keras.metrics.<Class>(**args) result after each of 3 update_state batches (with and
                   without sample_weight)
  lm_train_*       one epoch of model.fit (SGD, batch 4 of 10 rows: an uneven last batch, shuffle off) with
                   sample_weight / class_weight and weighted validation data: history, end weights
"""
import numpy as np
import keras
import tensorflow as tf

from fixture_util import write_set

rng = np.random.default_rng(20261207)
L = keras.losses
M = keras.metrics


def f32(a):
    return np.asarray(a, dtype=np.float32)


# --- losses ---------------------------------------------------------------------------------------------------
n, k = 6, 4
onehot = np.eye(k, dtype=np.float32)[rng.integers(0, k, n)]
labels = f32(np.argmax(onehot, axis=1))
soft = f32(rng.uniform(0.05, 1, (n, k)))
soft /= soft.sum(axis=1, keepdims=True)                     # soft targets (KLD, smoothing)
prob = f32(rng.uniform(0.03, 1, (n, k)))
prob /= prob.sum(axis=1, keepdims=True)
prob_unnorm = f32(rng.uniform(0.05, 0.95, (n, k)))           # independent probabilities (binary losses)
bits = f32(rng.integers(0, 2, (n, k)))
signs = 2 * bits - 1
logits = f32(rng.normal(0, 1.5, (n, k)))
reg_true = f32(rng.normal(0, 1, (n, k)))
reg_pred = f32(rng.normal(0, 1.5, (n, k)))
pos_true = f32(rng.uniform(0.1, 3, (n, k)))
pos_pred = f32(rng.uniform(0.1, 3, (n, k)))
counts = f32(rng.integers(0, 5, (n, k)))

inputs = {"onehot": onehot, "labels": labels, "soft": soft, "prob": prob, "prob_unnorm": prob_unnorm, "bits": bits,
          "signs": signs, "logits": logits, "reg_true": reg_true, "reg_pred": reg_pred, "pos_true": pos_true,
          "pos_pred": pos_pred, "counts": counts}

# name -> (Keras class, args, y_true input, y_pred input)
cases = {
    "huber": ("Huber", {}, "reg_true", "reg_pred"),
    "huber_delta": ("Huber", {"delta": 0.5}, "reg_true", "reg_pred"),
    "log_cosh": ("LogCosh", {}, "reg_true", "reg_pred"),
    "kl_divergence": ("KLDivergence", {}, "soft", "prob"),
    "poisson": ("Poisson", {}, "counts", "pos_pred"),
    "hinge": ("Hinge", {}, "bits", "reg_pred"),
    "hinge_signs": ("Hinge", {}, "signs", "reg_pred"),
    "squared_hinge": ("SquaredHinge", {}, "bits", "reg_pred"),
    "categorical_hinge": ("CategoricalHinge", {}, "onehot", "reg_pred"),
    "cosine_similarity": ("CosineSimilarity", {}, "reg_true", "reg_pred"),
    "mape": ("MeanAbsolutePercentageError", {}, "reg_true", "reg_pred"),
    "msle": ("MeanSquaredLogarithmicError", {}, "pos_true", "pos_pred"),
    "bfce": ("BinaryFocalCrossentropy", {}, "bits", "prob_unnorm"),
    "bfce_balanced": ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5,
                                                  "label_smoothing": 0.1}, "bits", "prob_unnorm"),
    "bfce_logits": ("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 3.0}, "bits", "logits"),
    "cfce": ("CategoricalFocalCrossentropy", {}, "onehot", "prob"),
    "cfce_args": ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0, "label_smoothing": 0.2}, "onehot", "prob"),
    "cfce_logits": ("CategoricalFocalCrossentropy", {"from_logits": True}, "onehot", "logits"),
    "bce_smooth": ("BinaryCrossentropy", {"label_smoothing": 0.2}, "bits", "prob_unnorm"),
    "bce_logits": ("BinaryCrossentropy", {"from_logits": True}, "bits", "logits"),
    "bce_logits_smooth": ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "bits", "logits"),
    "cce_smooth": ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot", "prob"),
    "cce_logits": ("CategoricalCrossentropy", {"from_logits": True}, "soft", "logits"),
    "cce_logits_smooth": ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.3}, "onehot", "logits"),
    "scce_logits": ("SparseCategoricalCrossentropy", {"from_logits": True}, "labels", "logits"),
}
arrays = dict(inputs)
manifest_cases = {}
for name, (cls, args, yt, yp) in cases.items():
    loss = getattr(L, cls)(reduction=None, **args)
    pred = tf.Variable(inputs[yp])
    with tf.GradientTape() as tape:
        values = loss(tf.constant(inputs[yt]), pred)
        total = tf.reduce_sum(values)
    arrays[name + "_values"] = values.numpy()
    arrays[name + "_grad"] = tape.gradient(total, pred).numpy()
    manifest_cases[name] = {"class": cls, "args": args, "y_true": yt, "y_pred": yp,
                            "config": {key: v for key, v in getattr(L, cls)(**args).get_config().items()
                                       if key not in ("reduction", "dtype")}}
write_set("lm_losses", arrays, cases=manifest_cases)

# --- metrics over three batches -------------------------------------------------------------------------------
nb = 7
mb_bits = [f32(rng.integers(0, 2, (nb, 1))) for _ in range(3)]
mb_scores = [f32(rng.uniform(0, 1, (nb, 1))) for _ in range(3)]
mb_scores[1][0, 0] = 0.5         # exactly at the default threshold (not positive: pred > threshold)
mb_scores[2][1, 0] = 1.0
mb_scores[2][2, 0] = 0.0
mb_multi_true = [f32(rng.integers(0, 2, (nb, 3))) for _ in range(3)]
mb_multi_pred = [f32(rng.uniform(0, 1, (nb, 3))) for _ in range(3)]
mb_onehot = [np.eye(5, dtype=np.float32)[rng.integers(0, 5, nb)] for _ in range(3)]
mb_probs = []
for _ in range(3):
    p = f32(rng.uniform(0, 1, (nb, 5)))
    mb_probs.append(p / p.sum(axis=1, keepdims=True))
mb_labels = [f32(np.argmax(o, axis=1)) for o in mb_onehot]
mb_weights = [f32(rng.uniform(0.2, 2, nb)) for _ in range(3)]
mb_seg_true = [f32(rng.integers(0, 3, (nb, 1))) for _ in range(3)]
mb_seg_pred = [f32(rng.integers(0, 3, (nb, 1))) for _ in range(3)]
mb_logit_scores = [f32(rng.normal(0, 2, (nb, 1))) for _ in range(3)]
batches = {"bits": mb_bits, "scores": mb_scores, "multi_true": mb_multi_true, "multi_pred": mb_multi_pred,
           "onehot": mb_onehot, "probs": mb_probs, "labels": mb_labels, "weights": mb_weights,
           "seg_true": mb_seg_true, "seg_pred": mb_seg_pred, "logit_scores": mb_logit_scores}

# name -> (Keras class, args, y_true batches, y_pred batches)
metric_cases = {
    "precision": ("Precision", {}, "bits", "scores"),
    "precision_threshold": ("Precision", {"thresholds": 0.3}, "bits", "scores"),
    "recall": ("Recall", {}, "bits", "scores"),
    "recall_multi": ("Recall", {"thresholds": 0.4}, "multi_true", "multi_pred"),
    "auc": ("AUC", {}, "bits", "scores"),
    "auc_pr": ("AUC", {"curve": "PR"}, "bits", "scores"),
    "auc_pr_riemann": ("AUC", {"curve": "PR", "summation_method": "minoring", "num_thresholds": 50}, "bits", "scores"),
    "auc_roc_majoring": ("AUC", {"summation_method": "majoring", "num_thresholds": 13}, "bits", "scores"),
    "auc_multi": ("AUC", {"num_thresholds": 31}, "multi_true", "multi_pred"),
    "auc_logits": ("AUC", {"from_logits": True}, "bits", "logit_scores"),
    "auc_multilabel": ("AUC", {"multi_label": True, "num_thresholds": 40}, "multi_true", "multi_pred"),
    "top_k": ("TopKCategoricalAccuracy", {"k": 2}, "onehot", "probs"),
    "top_k_default": ("TopKCategoricalAccuracy", {}, "onehot", "probs"),
    "sparse_top_k": ("SparseTopKCategoricalAccuracy", {"k": 3}, "labels", "probs"),
    "f1_macro": ("F1Score", {"average": "macro"}, "onehot", "probs"),
    "f1_micro": ("F1Score", {"average": "micro", "threshold": 0.25}, "onehot", "probs"),
    "f1_weighted": ("F1Score", {"average": "weighted"}, "multi_true", "multi_pred"),
    "f1_binary": ("F1Score", {"average": "micro", "threshold": 0.5}, "bits", "scores"),
    "mean_iou": ("MeanIoU", {"num_classes": 3}, "seg_true", "seg_pred"),
    "binary_accuracy": ("BinaryAccuracy", {}, "bits", "scores"),
    "binary_accuracy_threshold": ("BinaryAccuracy", {"threshold": 0.7}, "multi_true", "multi_pred"),
    "categorical_accuracy": ("CategoricalAccuracy", {}, "onehot", "probs"),
    "sparse_categorical_accuracy": ("SparseCategoricalAccuracy", {}, "labels", "probs"),
}
arrays = {}
for key, bs in batches.items():
    for i, b in enumerate(bs):
        arrays[f"{key}{i}"] = b
manifest_metrics = {}
for name, (cls, args, yt, yp) in metric_cases.items():
    entry = {"class": cls, "args": args, "y_true": yt, "y_pred": yp}
    for weighted in (False, True):
        m = getattr(M, cls)(**args)
        results = []
        for i in range(3):
            sw = batches["weights"][i] if weighted else None
            m.update_state(batches[yt][i], batches[yp][i], sample_weight=sw)
            results.append(float(np.asarray(m.result())))
        entry["weighted" if weighted else "results"] = results
    entry["config"] = {key: v for key, v in getattr(M, cls)(**args).get_config().items() if key != "dtype"}
    manifest_metrics[name] = entry
write_set("lm_metrics", arrays, cases=manifest_metrics)


# --- training with sample_weight / class_weight -----------------------------------------------------------------
def build(units_out, activation, input_dim=3):
    m = keras.Sequential([keras.Input(shape=(input_dim,)), keras.layers.Dense(4, activation="tanh"),
                          keras.layers.Dense(units_out, activation=activation)])
    m.set_weights([f32(rng.uniform(-0.7, 0.7, w.shape)) for w in m.get_weights()])
    return m


def train_set(name, units_out, activation, loss, metrics, y, yv, sample_weight=None, class_weight=None,
              val_weight=None, weighted_metrics=None):
    x = f32(rng.uniform(-1, 1, (10, 3)))
    xv = f32(rng.uniform(-1, 1, (5, 3)))
    m = build(units_out, activation)
    w0 = [w.copy() for w in m.get_weights()]
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.3), loss=loss, metrics=metrics,
              weighted_metrics=weighted_metrics)
    vd = (xv, yv, val_weight) if val_weight is not None else (xv, yv)
    h = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, sample_weight=sample_weight,
              class_weight=class_weight, validation_data=vd)
    ev = m.evaluate(xv, yv, sample_weight=val_weight, verbose=0, return_dict=True)
    arrays = {"x": x, "y": y, "xv": xv, "yv": yv}
    if sample_weight is not None:
        arrays["sample_weight"] = sample_weight
    if val_weight is not None:
        arrays["val_weight"] = val_weight
    arrays.update({f"start{i}": w for i, w in enumerate(w0)})
    arrays.update({f"end{i}": w for i, w in enumerate(m.get_weights())})
    write_set(name, arrays, units_out=units_out, activation=activation, loss=loss,
              metrics=[mm if isinstance(mm, str) else keras.saving.serialize_keras_object(mm) for mm in metrics],
              weighted_metrics=[mm if isinstance(mm, str) else keras.saving.serialize_keras_object(mm)
                                for mm in (weighted_metrics or [])],
              class_weight={str(c): v for c, v in (class_weight or {}).items()}, batch_size=4, epochs=2,
              learning_rate=0.3, weights=len(w0), history={key: [float(v) for v in vals] for key, vals in h.history.items()},
              evaluate={key: float(v) for key, v in ev.items()})


yb = f32(rng.integers(0, 2, (10, 1)))
ybv = f32(rng.integers(0, 2, (5, 1)))
train_set("lm_train_sample_weight", 1, "sigmoid", "binary_crossentropy",
          ["accuracy", M.Precision(name="precision"), M.Recall(name="recall"), M.AUC(name="auc")],
          yb, ybv, sample_weight=f32(rng.uniform(0.1, 3, 10)), val_weight=f32(rng.uniform(0.1, 3, 5)))
yl = f32(rng.integers(0, 3, (10,)))
ylv = f32(rng.integers(0, 3, (5,)))
train_set("lm_train_class_weight", 3, "softmax", "sparse_categorical_crossentropy",
          ["accuracy", M.SparseTopKCategoricalAccuracy(k=2, name="top2")], yl, ylv,
          class_weight={0: 1.0, 1: 5.0, 2: 0.5})
yo = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 10)]
yov = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 5)]
train_set("lm_train_class_weight_onehot", 3, "softmax", "categorical_crossentropy",
          ["categorical_accuracy", M.F1Score(average="macro", name="f1")], yo, yov,
          class_weight={0: 2.0, 1: 0.5, 2: 1.0})
yr = f32(rng.normal(0, 1, (10, 2)))
yrv = f32(rng.normal(0, 1, (5, 2)))
train_set("lm_train_huber_weighted", 2, None, "huber", ["mae"], yr, yrv,
          sample_weight=f32(rng.uniform(0, 2, 10)), val_weight=f32(rng.uniform(0.5, 1.5, 5)))
yw = f32(rng.integers(0, 2, (10, 1)))
ywv = f32(rng.integers(0, 2, (5, 1)))
train_set("lm_train_weighted_metrics", 1, "sigmoid", "binary_crossentropy", ["accuracy"], yw, ywv,
          sample_weight=f32(rng.uniform(0.1, 3, 10)), val_weight=f32(rng.uniform(0.1, 3, 5)),
          weighted_metrics=["accuracy", M.AUC(name="auc"), M.Precision(name="precision")])
