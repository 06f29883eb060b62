/// Keras's `sample_weight` / `class_weight` for `fit` (and `sample_weight` for validation and `evaluate`): one weight
/// per sample that multiplies its loss (the batch loss stays `sum(w_i l_i) / n`, Keras's `sum_over_batch_size`) and
/// weighs its metrics (`sum(w_i v_i) / sum(w_i)`, counts weighted by `w_i`).
public enum SampleWeights {
    /// One weight per sample of the dataset, in row order (`sample_weight`, shape `(N,)` or `(N, 1)`).
    case perSample(Tensor)
    /// Keras's `class_weight`: each sample weighs `weights[class]` (1 for a class not listed), its class being the
    /// target rounded to an integer (targets of shape `(1)`) or the target's argmax (one-hot rows).
    case byClass([Int: Float])

    /// Checks the weights against the data: one finite, non-negative weight per sample; class weights need one class
    /// per sample (targets `()`, `(1)` or `(classes)`).
    func validate(for data: Dataset, role: String) throws {
        switch self {
        case let .perSample(w):
            guard w.shape.first == data.count, w.count == data.count else {
                throw StrataError.invalidData(
                    "\(role) sample weights have shape \(w.shape) for \(data.count) samples",
                    hint: "pass one weight per sample, shape (\(data.count),)")
            }
            for i in 0..<w.count where !(w[flat: i] >= 0 && w[flat: i].isFinite) {
                throw StrataError.invalidData("\(role) sample weight \(i) is \(w[flat: i])", hint: "weights must be finite and >= 0")
            }
        case let .byClass(weights):
            guard let yShape = data.yShape, yShape.count <= 1 else {
                throw StrataError.invalidArgument(
                    "class weights need one class per sample, but \(role) targets have shape \(data.yShape ?? [])",
                    hint: "class_weight works with targets of shape (1) or one-hot rows (classes); pass sample weights instead")
            }
            for (c, w) in weights where !(w >= 0 && w.isFinite) {
                throw StrataError.invalidArgument("class weight \(w) for class \(c)", hint: "weights must be finite and >= 0")
            }
        }
    }

    /// This batch's weights into `w` (one per row of `rows`), `y` holding the rows' targets.
    func weights(rows: ArraySlice<Int>, y: Tensor, into w: Tensor) {
        switch self {
        case let .perSample(all):
            Kernels.gatherRows(all, rows, rowSize: 1, into: w)
        case let .byClass(weights):
            let width = y.rowSize
            for r in 0..<rows.count {
                var cls = 0
                if width == 1 {
                    cls = Int(y[flat: r].rounded(.toNearestOrEven))
                } else {
                    for j in 1..<width where y[flat: r * width + j] > y[flat: r * width + cls] { cls = j }
                }
                w[flat: r] = weights[cls] ?? 1
            }
        }
    }
}
