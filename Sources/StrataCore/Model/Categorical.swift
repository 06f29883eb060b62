/// Keras `to_categorical(y, num_classes)`: one-hot rows for integer labels (fractions truncate, as `int64`
/// conversion does). A trailing axis of size 1 is dropped; `numClasses` defaults to `max(y) + 1`.
/// Throws, naming the first offending label, when a label is negative or not below `numClasses`.
public func toCategorical(_ labels: [Int], numClasses: Int? = nil) throws -> Tensor {
    let c = numClasses ?? ((labels.max() ?? -1) + 1)
    if let i = labels.firstIndex(where: { $0 < 0 || $0 >= c }) {
        throw StrataError.invalidData(
            "toCategorical: label \(labels[i]) at index \(i) is not a class id in [0, \(c))",
            hint: labels[i] < 0 ? "labels are class ids 0, 1, 2, ..." : "pass numClasses larger than every label")
    }
    let out = Tensor(zeros: [labels.count, c])
    for (i, l) in labels.enumerated() { out[flat: i * c + l] = 1 }
    return out
}

/// `toCategorical` for a tensor of labels (`(N,)` or `(N, 1)`, or any shape: the classes become a new last axis).
public func toCategorical(_ labels: Tensor, numClasses: Int? = nil) throws -> Tensor {
    var shape = labels.shape
    if shape.count > 1 && shape.last == 1 { shape.removeLast() }
    let values = labels.scalars
    if let i = values.firstIndex(where: { !$0.isFinite || abs($0) >= 1e9 }) {
        throw StrataError.invalidData(
            "toCategorical: label \(values[i]) at index \(i) is not a class id", hint: "labels are class ids 0, 1, 2, ...")
    }
    let ids: [Int] = values.map { Int($0) }  // typed, so the call below is the [Int] overload, not the generic one
    let flat = try toCategorical(ids, numClasses: numClasses)
    return flat.view(shape + [flat.shape[1]])
}

/// `toCategorical` for labels in any other ``TensorConvertible`` form (`[[Int]]` sequences, `[Float]`, `[[Float]]`
/// of shape `(N, 1)`, ...), as the `Tensor` overload; also throws for ragged arrays. Disfavoured, so `[Int]` and
/// `Tensor` labels (and the calls below) take their own overloads instead of recursing into this one.
@_disfavoredOverload
public func toCategorical(_ labels: some TensorConvertible, numClasses: Int? = nil) throws -> Tensor {
    let tensor: Tensor = try labels.makeTensor()
    return try toCategorical(tensor, numClasses: numClasses)
}
