/// Samples by index: what `fit`, `evaluate` and `predict` read. Each rank reads only the rows of its shard.
public protocol Dataset {
    /// Number of samples.
    var count: Int { get }
    /// Shape of one input sample.
    var xShape: [Int] { get }
    /// Shape of one target sample (nil when the dataset has no targets, e.g. for `predict`).
    var yShape: [Int]? { get }
    /// A short description for error messages (`x_train in data.h5`).
    var label: String { get }
    /// Reads samples `indices` into consecutive rows of `x` (and `y`). Throws on unreadable or bad rows, naming them.
    func read(_ indices: ArraySlice<Int>, x: Tensor, y: Tensor?) throws
    /// Checks every value before training (NaN/infinity); streaming datasets check rows as they read them.
    func validateValues() throws
    /// A hint that the next `read` asks for `indices`: a streaming dataset starts reading them in the background
    /// (while the step computes); nothing by default. Errors surface from that `read`, as without the hint.
    func prefetch(_ indices: ArraySlice<Int>)
}

extension Dataset {
    public func prefetch(_ indices: ArraySlice<Int>) {}
}

/// An in-memory dataset over tensors (or Swift arrays).
public struct TensorDataset: Dataset {
    public let x: Tensor
    public let y: Tensor?
    public let label: String

    public init(x: Tensor, y: Tensor?, label: String = "x") {
        self.x = x
        self.y = y
        self.label = label
    }

    public var count: Int { x.shape.first ?? 0 }
    public var xShape: [Int] { Array(x.shape.dropFirst()) }
    public var yShape: [Int]? { y.map { Array($0.shape.dropFirst()) } }

    public func read(_ indices: ArraySlice<Int>, x xOut: Tensor, y yOut: Tensor?) throws {
        Kernels.gatherRows(x, indices, rowSize: x.rowSize, into: xOut)
        if let y, let yOut { Kernels.gatherRows(y, indices, rowSize: y.rowSize, into: yOut) }
    }

    public func validateValues() throws {
        if let i = Kernels.firstNonFinite(x) {
            throw StrataError.invalidData(
                "x has a non-finite value (\(x[flat: i])) in sample \(i / max(x.rowSize, 1))",
                hint: "remove or impute NaN and infinite values before training")
        }
        if let y, let i = Kernels.firstNonFinite(y) {
            throw StrataError.invalidData(
                "y has a non-finite value (\(y[flat: i])) in sample \(i / max(y.rowSize, 1))",
                hint: "remove or impute NaN and infinite values before training")
        }
    }
}

/// Samples `range` of another dataset (Keras's `validation_split` takes the last fraction, before shuffling).
public struct DatasetSlice: Dataset {
    public let base: Dataset
    public let range: Range<Int>
    public init(_ base: Dataset, _ range: Range<Int>) { self.base = base; self.range = range }
    public var count: Int { range.count }
    public var xShape: [Int] { base.xShape }
    public var yShape: [Int]? { base.yShape }
    public var label: String { "\(base.label)[\(range.lowerBound)..<\(range.upperBound)]" }
    public func read(_ indices: ArraySlice<Int>, x: Tensor, y: Tensor?) throws {
        try base.read(ArraySlice(indices.map { $0 + range.lowerBound }), x: x, y: y)
    }
    public func validateValues() throws { try base.validateValues() }
    public func prefetch(_ indices: ArraySlice<Int>) {
        base.prefetch(ArraySlice(indices.map { $0 + range.lowerBound }))
    }
}
