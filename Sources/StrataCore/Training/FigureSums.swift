/// The running sums behind an epoch's loss and metrics, laid out so a step's share rides in the step's all-reduce
/// and a checkpoint holds the partial epoch (`TrainingState.partialSums`):
/// `[loss, metric_1 ... metric_k, count, weight, counts of the counting metrics...]`.
///
/// - `loss`: `sum(w_i l_i)` over the per-sample loss values; divided by `count` (the number of values) it is Keras's
///   `sum_over_batch_size` loss averaged over the epoch's batches by their size.
/// - `metric_j`: `sum(v_i)` of a per-sample metric (divided by `count`: its mean), or for a weighted metric (Keras's
///   `weighted_metrics`) `sum(w_i v_i)`, divided by `weight` (`sum(w_i)` over the values): the weighted mean. Keras's
///   `metrics` ignore sample and class weights; only the loss and `weighted_metrics` use them. A counting metric's
///   slot stays 0: its figure comes from its counts (weighted or not likewise).
/// - The counting metrics' state vectors (confusion counts, histograms), summed over batches and ranks.
///
/// Without sample weights every `w_i` is 1 and `weight == count`. The first `k + 2` entries are the layout of
/// checkpoints written before sample weights existed (`upgrade` extends them).
///
/// When the model's output carries a timestep mask `m` (`masked`), Keras weights by it (keras/src/losses/loss.py
/// `apply_mask`, keras/src/metrics/reduction_metrics.py `MeanMetricWrapper`): a batch's loss is
/// `sum(w_i m_i l_i) / sum(m_i)` over the GLOBAL batch, so the loss slot receives that times the batch's `count`
/// (`lossScale = count / sum(m)`, known once the kept count is summed over ranks); a metric's values are weighted
/// by `m_i` (`w_i m_i` for a weighted metric) and divided by `kept = sum(m_i)` (by `weight = sum(w_i m_i)`), one
/// more slot after the counting metrics' counts. Counting metrics ignore the mask, as Keras's do.
struct FigureSums {
    let metrics: [Metric]
    /// Which metrics take the sample weights (Keras's `weighted_metrics`).
    let weighted: [Bool]
    /// Where each counting metric's state lives (nil for per-sample metrics).
    let states: [Range<Int>?]
    /// The number of sums.
    let count: Int
    /// Where the kept (unmasked) value count lives, for a model whose output carries a timestep mask.
    let keptSlot: Int?

    init(metrics: [Metric], weighted: [Bool]? = nil, outputShape: [Int], masked: Bool = false) {
        self.metrics = metrics
        self.weighted = weighted ?? metrics.map { _ in false }
        var next = metrics.count + 3
        states = metrics.map { m in
            guard let c = m as? CountingMetric else { return nil }
            let n = c.stateCount(outputShape: outputShape)
            defer { next += n }
            return next..<(next + n)
        }
        keptSlot = masked ? next : nil
        count = masked ? next + 1 : next
    }

    var countSlot: Int { metrics.count + 1 }
    var weightSlot: Int { metrics.count + 2 }

    /// Sums read from a checkpoint written before sample weights and counting metrics: `weight = count` (every
    /// weight was 1), no counts. Sums of another length (another metric list) start the epoch's figures over.
    func upgrade(_ sums: [Double]) -> [Double] {
        if sums.count == count { return sums }
        var out = [Double](repeating: 0, count: count)
        if sums.count == metrics.count + 2 && states.allSatisfy({ $0 == nil }) {
            for i in sums.indices { out[i] = sums[i] }
            out[weightSlot] = sums[countSlot]
        }
        return out
    }

    /// Writes this rank's share of one batch into `tail` (`count` scalars): the weighted loss and metric sums, the
    /// number of loss values, the weight sum and the counting metrics' counts. `lossValues` holds the per-sample
    /// losses (`perSample` per row); `scratch` is a buffer of the same size for the metric values; `weights` has one
    /// weight per row or is nil; `mask` has one 0/1 per loss value (the output's timestep mask, nil without one)
    /// and `lossScale` multiplies the loss sum (the masked batch's `count / kept`).
    func accumulate(
        yTrue: Tensor, yPred: Tensor, lossValues: Tensor, weights: Tensor?, perSample: Int, mask: Tensor? = nil,
        lossScale: Double = 1, scratch: Tensor, into tail: Tensor
    ) throws {
        tail.fill(0)
        tail[flat: 0] = Float(lossScale * MetricKernels.weightedSum(lossValues, weights: weights, group: perSample, mask: mask))
        for (j, m) in metrics.enumerated() {
            let w = weighted[j] ? weights : nil
            if let range = states[j] {
                (m as! CountingMetric).accumulate(yTrue: yTrue, yPred: yPred, sampleWeight: w, into: tail.rows(range))
            } else {
                try m.values(yTrue: yTrue, yPred: yPred, into: scratch)
                tail[flat: 1 + j] = Float(MetricKernels.weightedSum(scratch, weights: w, group: perSample, mask: mask))
            }
        }
        tail[flat: countSlot] = Float(lossValues.count)
        if let mask {
            tail[flat: weightSlot] = Float(MetricKernels.weightedSum(mask, weights: weights, group: perSample))
        } else {
            tail[flat: weightSlot] = weights.map { Float(Double(perSample) * Kernels.sum($0)) } ?? Float(lossValues.count)
        }
        if let keptSlot { tail[flat: keptSlot] = mask.map { Float(Kernels.sum($0)) } ?? Float(lossValues.count) }
    }

    /// Adds a (reduced) tail into the running sums.
    func add(_ tail: Tensor, to sums: inout [Double]) {
        for i in 0..<count { sums[i] += Double(tail[flat: i]) }
    }

    /// The figures: `loss` and each metric by name.
    func logs(_ sums: [Double]) -> [String: Double] {
        var logs = ["loss": sums[0] / max(sums[countSlot], 1)]
        for (j, m) in metrics.enumerated() {
            if let range = states[j] {
                logs[m.name] = (m as! CountingMetric).result(sums[range])
            } else {
                let total = sums[weighted[j] ? weightSlot : keptSlot ?? countSlot]
                logs[m.name] = total > 0 ? sums[1 + j] / total : 0
            }
        }
        return logs
    }
}
