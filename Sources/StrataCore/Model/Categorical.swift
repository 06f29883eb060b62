/// Keras `to_categorical(y, num_classes)`: one-hot rows for integer labels (fractions truncate, as `int64`
/// conversion does). A trailing axis of size 1 is dropped; `numClasses` defaults to `max(y) + 1`.
public func toCategorical(_ labels: [Int], numClasses: Int? = nil) -> Tensor {
    let c = numClasses ?? ((labels.max() ?? -1) + 1)
    let out = Tensor(zeros: [labels.count, c])
    for (i, l) in labels.enumerated() {
        precondition(l >= 0 && l < c, "label \(l) at index \(i) is outside [0, \(c)): pass numClasses larger than every label")
        out[flat: i * c + l] = 1
    }
    return out
}

/// `toCategorical` for a tensor of labels (`(N,)` or `(N, 1)`, or any shape: the classes become a new last axis).
public func toCategorical(_ labels: Tensor, numClasses: Int? = nil) -> Tensor {
    var shape = labels.shape
    if shape.count > 1 && shape.last == 1 { shape.removeLast() }
    let ints = labels.scalars.map { Int($0) }
    let flat = toCategorical(ints, numClasses: numClasses)
    return flat.reshaped(shape + [flat.shape[1]])
}

/// `toCategorical` for labels in any ``TensorConvertible`` form (`[[Int]]` sequences, `[Float]`, `[[Float]]` of
/// shape `(N, 1)`, ...); throws ``StrataError`` for ragged arrays and for labels outside `[0, numClasses)`. `[Int]` and
/// `Tensor` labels take the two overloads above, which need no `try`.
@_disfavoredOverload
public func toCategorical(_ labels: some TensorConvertible, numClasses: Int? = nil) throws -> Tensor {
    let tensor = try labels.makeTensor()
    if let c = numClasses, let i = tensor.scalars.firstIndex(where: { Int($0) < 0 || Int($0) >= c }) {
        throw StrataError.invalidData("label \(tensor[flat: i]) at flat index \(i) is outside [0, \(c))",
                                      hint: "pass numClasses larger than every label, or fix the labels")
    }
    if let i = tensor.scalars.firstIndex(where: { Int($0) < 0 }) {
        throw StrataError.invalidData("label \(tensor[flat: i]) at flat index \(i) is negative", hint: "class labels are 0, 1, 2, ...")
    }
    return toCategorical(tensor, numClasses: numClasses)
}
