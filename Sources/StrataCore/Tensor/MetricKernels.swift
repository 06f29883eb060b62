/// The per-sample loops of the built-in metrics: one value per row of `yPred` (seen as `(rows, last axis)`)
/// written into `values`.
enum MetricKernels {
    @inline(__always)
    private static func rowsAndColumns(_ yPred: Tensor) -> (rows: Int, cols: Int) {
        let cols = yPred.shape.last ?? 1
        return (cols == 0 ? 0 : yPred.count / cols, cols)
    }

    /// `values[r] = mean_j ((yPred[r, j] > threshold ? 1 : 0) == yTrue[r, j])`.
    static func binaryAccuracy(yTrue: Tensor, yPred: Tensor, threshold: Float, into values: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows {
            var hits = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                if (pp[i] > threshold ? Float(1) : 0) == py[i] { hits += 1 }
            }
            pv[r] = Float(hits) / Float(cols)
        }
    }

    /// `values[r] = argmax(yTrue[r]) == argmax(yPred[r]) ? 1 : 0` (first maximum wins).
    static func categoricalAccuracy(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows {
            pv[r] = argmax(pp + r &* cols, cols) == argmax(py + r &* cols, cols) ? 1 : 0
        }
    }

    /// `values[r] = yTrue[r] == argmax(yPred[r]) ? 1 : 0`, `yTrue` holding class ids.
    static func sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows { pv[r] = Float(argmax(pp + r &* cols, cols)) == py[r] ? 1 : 0 }
    }

    /// `values[r] = mean_j f(yPred[r, j] - yTrue[r, j])` (mse, mae).
    @inline(__always)
    static func rowMeans(_ yTrue: Tensor, _ yPred: Tensor, _ values: Tensor, _ f: (Float) -> Float) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<cols { let i = r &* cols &+ j; s += f(pp[i] - py[i]) }
            pv[r] = s / Float(cols)
        }
    }

    @inline(__always)
    private static func argmax(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for j in 1..<max(n, 1) where p[j] > p[best] { best = j }
        return best
    }

    /// `values[r] = 1` when the score of the true class (`yTrue[r]` as a class id, or `argmax(yTrue[r])` when
    /// `sparse` is false) is among the `k` largest of `yPred[r]`: fewer than `k` scores exceed it (TensorFlow's
    /// `in_top_k`: ties at the boundary count as in).
    static func inTopK(yTrue: Tensor, yPred: Tensor, k: Int, sparse: Bool, into values: Tensor) {
        let (rows, cols) = rowsAndColumns(yPred)
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows {
            let pr = pp + r &* cols
            var target = 0
            if sparse {
                target = Int(py[r])
            } else {
                let yr = py + r &* cols
                for j in 1..<max(cols, 1) where yr[j] > yr[target] { target = j }
            }
            guard target >= 0 && target < cols, pr[target].isFinite else { pv[r] = 0; continue }
            var above = 0
            for j in 0..<cols where pr[j] > pr[target] { above += 1 }
            pv[r] = above < k ? 1 : 0
        }
    }

    /// Precision/recall counts at one threshold, added into `counts` = `[tp, fp, fn]`: an element is predicted
    /// positive when its score exceeds `threshold` and is a true positive when its label is nonzero (Keras's
    /// `update_confusion_matrix_variables`). With `topK` only each row's `k` largest scores (first index wins ties)
    /// can be positive; with `classId` only that column counts.
    static func thresholdCounts(
        yTrue: Tensor, yPred: Tensor, weights: Tensor?, threshold: Float, topK: Int?,
        classId: Int?, into counts: Tensor
    ) {
        let (rows, cols) = rowsAndColumns(yPred)
        let pp = yPred.pointer, py = yTrue.pointer, pc = counts.pointer, pw = weights?.pointer
        var tp: Float = 0, fp: Float = 0, fn: Float = 0
        for r in 0..<rows {
            let w = pw?[r] ?? 1
            let pr = pp + r &* cols, yr = py + r &* cols
            for j in 0..<cols {
                if let classId, j != classId { continue }
                var predicted = pr[j] > threshold
                if let topK {
                    var better = 0  // entries ranked before j: larger, or equal at a lower index
                    for i in 0..<cols where pr[i] > pr[j] || (pr[i] == pr[j] && i < j) { better += 1 }
                    predicted = better < topK && pr[j] > threshold
                }
                let positive = yr[j] != 0
                if predicted && positive { tp += w } else if predicted { fp += w } else if positive { fn += w }
            }
        }
        pc[0] += tp
        pc[1] += fp
        pc[2] += fn
    }

    /// AUC's bucketed counts (Keras's `_update_confusion_matrix_variables_optimized` for evenly spaced thresholds):
    /// each score `p` (sigmoid first with `fromLogits`, then clipped to [0, 1]) falls in bucket
    /// `max(ceil(p (T - 1)) - 1, 0)`; its weight is added to the true-label or false-label histogram, laid out as
    /// `counts = [trueHistogram (T x labels), falseHistogram (T x labels)]`, bucket-major. With `multiLabel` each
    /// column is its own label, else every element counts in one histogram (`labels` = 1).
    static func aucHistogram(
        yTrue: Tensor, yPred: Tensor, weights: Tensor?, thresholds: Int, fromLogits: Bool,
        multiLabel: Bool, into counts: Tensor
    ) {
        let (rows, cols) = rowsAndColumns(yPred)
        let labels = multiLabel ? cols : 1
        let pp = yPred.pointer, py = yTrue.pointer, pc = counts.pointer, pw = weights?.pointer
        let falseOffset = thresholds &* labels
        let steps = Float(thresholds - 1)
        for r in 0..<rows {
            let w = pw?[r] ?? 1
            for j in 0..<cols {
                let i = r &* cols &+ j
                var p = fromLogits ? Kernels.sigmoid(pp[i]) : pp[i]
                p = min(max(p, 0), 1)
                let bucket = max(Int((p * steps).rounded(.up)) - 1, 0)
                let slot = bucket &* labels &+ (multiLabel ? j : 0)
                if py[i] != 0 { pc[slot] += w } else { pc[falseOffset &+ slot] += w }
            }
        }
    }

    /// F1Score's per-class counts, added into `counts = [tp (C), fp (C), fn (C), support (C)]`. A score is predicted
    /// positive when it exceeds `threshold`, or, without one, when it is its row's maximum and not 0 (Keras's
    /// `FBetaScore.update_state`).
    static func classCounts(yTrue: Tensor, yPred: Tensor, weights: Tensor?, threshold: Float?, into counts: Tensor) {
        let (rows, cols) = rowsAndColumns(yPred)
        let pp = yPred.pointer, py = yTrue.pointer, pc = counts.pointer, pw = weights?.pointer
        for r in 0..<rows {
            let w = pw?[r] ?? 1
            let pr = pp + r &* cols, yr = py + r &* cols
            var top = -Float.infinity
            for j in 0..<cols { top = max(top, pr[j]) }
            for j in 0..<cols {
                let predicted: Float = threshold.map { pr[j] > $0 } ?? (pr[j] >= top && abs(pr[j]) > 1e-9) ? 1 : 0
                let y = yr[j]
                pc[j] += w * predicted * y
                pc[cols &+ j] += w * predicted * (1 - y)
                pc[2 &* cols &+ j] += w * (1 - predicted) * y
                pc[3 &* cols &+ j] += w * y
            }
        }
    }

    /// MeanIoU's confusion matrix (`counts[true * C + predicted]`), from class ids (truncated to integers, as Keras's
    /// int dtype does) or from each row's argmax when `sparseTrue` / `sparsePred` is false. Ids outside `[0, C)` and
    /// `ignoreClass` are skipped; weights are truncated to integers as Keras's int confusion matrix does.
    static func confusionMatrix(
        yTrue: Tensor, yPred: Tensor, weights: Tensor?, classes: Int, sparseTrue: Bool,
        sparsePred: Bool, ignoreClass: Int?, into counts: Tensor
    ) {
        let trueWidth = sparseTrue ? 1 : (yTrue.shape.last ?? 1)
        let predWidth = sparsePred ? 1 : (yPred.shape.last ?? 1)
        let n = trueWidth == 0 ? 0 : yTrue.count / trueWidth
        let rows = yPred.shape.first ?? 0
        let perRow = rows == 0 ? 0 : n / rows
        let py = yTrue.pointer, pp = yPred.pointer, pc = counts.pointer, pw = weights?.pointer
        func id(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ width: Int, _ sparse: Bool) -> Int {
            if sparse { return Int(p[i]) }
            var best = 0
            let row = p + i &* width
            for j in 1..<max(width, 1) where row[j] > row[best] { best = j }
            return best
        }
        for i in 0..<n {
            let t = id(py, i, trueWidth, sparseTrue), q = id(pp, i, predWidth, sparsePred)
            guard t >= 0 && t < classes && q >= 0 && q < classes && t != ignoreClass else { continue }
            let w = pw.map { Float(Int($0[i / max(perRow, 1)])) } ?? 1
            pc[t &* classes &+ q] += w
        }
    }
}

extension MetricKernels {
    /// `sum_i values[i] * weights[i / group] * mask[i]` (in Double); a nil `weights` or `mask` is all ones.
    static func weightedSum(_ values: Tensor, weights: Tensor?, group: Int, mask: Tensor? = nil) -> Double {
        guard let mask else {
            guard let weights else { return Kernels.sum(values) }
            let pv = values.pointer, pw = weights.pointer
            var s: Double = 0
            for i in 0..<values.count { s += Double(pv[i]) * Double(pw[i / group]) }
            return s
        }
        let pv = values.pointer, pm = mask.pointer
        var s: Double = 0
        if let weights {
            let pw = weights.pointer
            for i in 0..<values.count { s += Double(pv[i]) * Double(pw[i / group]) * Double(pm[i]) }
        } else {
            for i in 0..<values.count { s += Double(pv[i]) * Double(pm[i]) }
        }
        return s
    }
}
