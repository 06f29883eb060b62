/// Data that `fit`, `evaluate`, `predict`, `validationData` and `toCategorical` accept: a `Tensor` or nested Swift
/// arrays, as Keras accepts NumPy arrays and lists alike.
///
/// One sample per element of the outermost array (the first axis), so `[[Float]]` of 1000 rows of 20 features is
/// a `(1000, 20)` tensor, `[Float]` and `[Int]` are `(N,)` (class labels, binary targets, or ids), `[[Int]]` is
/// `(N, timesteps)` token ids for `Embedding` and `[[[Float]]]` is `(N, timesteps, features)`. Integers are stored as
/// floats, as Strata stores every label and id. Any mix compiles: `fit(x: [[Float]], y: Tensor)`.
///
/// Conversion throws ``StrataError/invalidData(_:hint:)`` for ragged arrays (rows of different lengths), naming the
/// first row that differs and both lengths.
public protocol TensorConvertible {
    /// The row-major Float32 tensor holding these values.
    func makeTensor() throws -> Tensor
}

extension Tensor: TensorConvertible {
    /// The tensor itself (no copy: it shares its storage).
    public func makeTensor() throws -> Tensor { self }
}

extension Array: TensorConvertible where Element: TensorConvertibleElement {
    /// Stacks the elements along a new first axis; all must have the same shape.
    public func makeTensor() throws -> Tensor {
        if Element.self == [Float].self { return try Tensor(self as! [[Float]]) }  // the common case: Tensor's row check
        var scalars: [Float] = []
        let shape = try appendScalars(to: &scalars, path: "")
        return Tensor(exactly: shape, scalars: scalars)
    }
}

/// What a `TensorConvertible` array may hold: `Float`, `Double`, `Int`, or arrays of them (nested to any depth).
public protocol TensorConvertibleElement {
    /// Appends this element's scalars in row-major order and returns its shape; `path` names it in errors.
    func appendScalars(to scalars: inout [Float], path: String) throws -> [Int]
}

extension Float: TensorConvertibleElement {
    /// A scalar: shape `[]`.
    public func appendScalars(to scalars: inout [Float], path: String) throws -> [Int] {
        scalars.append(self)
        return []
    }
}

extension Double: TensorConvertibleElement {
    /// A scalar, rounded to Float32 (so array literals such as `[[0.5, 1]]` work): shape `[]`.
    public func appendScalars(to scalars: inout [Float], path: String) throws -> [Int] {
        scalars.append(Float(self))
        return []
    }
}

extension Int: TensorConvertibleElement {
    /// A label or id, stored as a float: shape `[]`.
    public func appendScalars(to scalars: inout [Float], path: String) throws -> [Int] {
        scalars.append(Float(self))
        return []
    }
}

extension Array: TensorConvertibleElement where Element: TensorConvertibleElement {
    /// A nested row: its elements must share one shape.
    public func appendScalars(to scalars: inout [Float], path: String) throws -> [Int] {
        if Element.self == Float.self {  // the common innermost row, without a call per scalar
            scalars.append(contentsOf: self as! [Float])
            return [count]
        }
        var inner: [Int]? = nil
        for (i, element) in enumerated() {
            let shape = try element.appendScalars(to: &scalars, path: path + "[\(i)]")
            if let inner, inner != shape { throw Self.ragged(path: path, row: i, shape: shape, first: inner) }
            inner = shape
        }
        return [count] + (inner ?? [])
    }

    /// Names the element whose shape differs from element 0's (`row 2` at the top, `row [1][3]` deeper), in the
    /// words of `Tensor([[Float]])`'s error.
    static func ragged(path: String, row i: Int, shape: [Int], first: [Int]) -> StrataError {
        let name = { (k: Int) in path.isEmpty ? "\(k)" : "\(path)[\(k)]" }
        if shape.count == 1 && first.count == 1 {
            return .invalidData(
                "row \(name(i)) has \(shape[0]) values but row \(name(0)) has \(first[0]): the rows of an array must have one length",
                hint: "pad or trim row \(name(i)) (every row holds one sample's \(first[0]) values)")
        }
        return .invalidData(
            "element \(name(i)) has shape \(shape) but element \(name(0)) has shape \(first): every sample needs the same shape",
            hint: "pad or trim element \(name(i)), or build a Tensor(shape:scalars:)")
    }
}
