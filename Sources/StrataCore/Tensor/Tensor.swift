/// Shared Float32 storage behind one or more `Tensor` views.
///
/// A class that owns one allocation, so that copying a `Tensor` shares its numbers (as NumPy views do): layers
/// reuse their buffers across steps with no copy-on-write allocation in the hot path, and kernels may read and
/// write the same storage in place.
public final class TensorStorage: @unchecked Sendable {
    /// The allocation: package-level, so raw pointers stay in the kernel, BLAS and I/O files of this package.
    package let base: UnsafeMutablePointer<Float>
    public let capacity: Int
    public init(count: Int, repeating value: Float = 0) {
        capacity = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: max(count, 1))
    }
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { base.update(from: s, count: values.count) }
        }
    }
    deinit { base.deallocate() }
}

/// A row-major Float32 array: a shape, a storage and an offset into it.
///
/// Copying a `Tensor` shares its storage; writes through any copy are seen by all (reference semantics).
/// Use `copy()` for an independent tensor. Making a tensor from user data (`Tensor(shape:scalars:)`, rows,
/// `reshaped`) throws a clear error when the sizes disagree; element access and views (`[i, j]`, `[flat:]`,
/// `rows`, `assign`, `init(shape:storage:offset:)`) trap on out-of-range arguments as `Array`'s subscript does.
public struct Tensor: CustomStringConvertible {
    public let shape: [Int]
    public let storage: TensorStorage
    public let offset: Int

    /// Number of scalars (product of the shape).
    public var count: Int { shape.reduce(1, *) }
    /// Rank (number of axes).
    public var rank: Int { shape.count }

    public init(shape: [Int], storage: TensorStorage, offset: Int = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(
            offset + shape.reduce(1, *) <= storage.capacity,
            "view \(shape) at \(offset) exceeds storage of \(storage.capacity)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
    }

    /// A new tensor filled with `value`.
    public init(zeros shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, storage: TensorStorage(count: shape.reduce(1, *), repeating: value))
    }

    /// A new tensor holding `scalars` (row-major) with the given shape; throws when a dimension is negative or
    /// the shape does not hold exactly `scalars.count` values.
    public init(shape: [Int], scalars: [Float]) throws {
        try Tensor.checkShape(shape, holds: scalars.count, what: "Tensor(shape: \(shape), scalars:)")
        self.init(exactly: shape, scalars: scalars)
    }

    /// `shape` and `scalars` known to agree (our own code).
    init(exactly shape: [Int], scalars: [Float]) {
        self.init(shape: shape, storage: TensorStorage(scalars))
    }

    /// A 2-D tensor from rows; throws, naming the row and the lengths, when the rows differ in length.
    public init(_ rows: [[Float]]) throws {
        let cols = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != cols }) {
            throw StrataError.invalidData(
                "row \(bad) has \(rows[bad].count) values but row 0 has \(cols): the rows of a 2-D array must have one length",
                hint: "pad or trim row \(bad) (every row holds one sample's \(cols) features)")
        }
        self.init(exactly: [rows.count, cols], scalars: rows.flatMap { $0 })
    }

    /// Throws unless `shape` has no negative dimension and holds exactly `count` scalars.
    static func checkShape(_ shape: [Int], holds count: Int, what: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw StrataError.invalidArgument("\(what): the shape has a negative dimension", hint: "dimensions are sizes, 0 or more")
        }
        guard shape.reduce(1, *) == count else {
            throw StrataError.invalidArgument(
                "\(what): the shape holds \(shape.reduce(1, *)) scalars, the data has \(count)",
                hint: "give a shape whose dimensions multiply to \(count)")
        }
    }

    /// A 1-D tensor.
    public init(_ scalars: [Float]) { self.init(exactly: [scalars.count], scalars: scalars) }

    /// The scalars in row-major order (a copy).
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// Address of the first scalar of this view: package-level, for the kernel files (`Kernels`, `UpdateKernels`,
    /// `LossKernels`...), BLAS.swift and the HDF5 readers; layers, losses and optimizers call those instead.
    package var pointer: UnsafeMutablePointer<Float> { storage.base + offset }

    /// Flat element access.
    public subscript(flat i: Int) -> Float {
        get { precondition(i >= 0 && i < count, "flat index \(i) out of range for shape \(shape)"); return pointer[i] }
        nonmutating set { precondition(i >= 0 && i < count, "flat index \(i) out of range for shape \(shape)"); pointer[i] = newValue }
    }

    /// Element access by multi-index.
    public subscript(_ index: Int...) -> Float {
        get { pointer[flatIndex(index)] }
        nonmutating set { pointer[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var flat = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
            flat = flat * d + i
        }
        return flat
    }

    /// Scalars per row (product of all axes but the first).
    public var rowSize: Int { shape.dropFirst().reduce(1, *) }

    /// Rows `range` of the first axis, as a view on the same storage.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= (shape.first ?? 0), "rows \(range) of \(shape)")
        var s = shape
        s[0] = range.count
        return Tensor(shape: s, storage: storage, offset: offset + range.lowerBound * rowSize)
    }

    /// The same scalars seen with another shape of equal count (a view); throws when the counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor.checkShape(newShape, holds: count, what: "reshaping \(shape) to \(newShape)")
        return view(newShape)
    }

    /// `reshaped` for shapes our own code derived from this tensor's (equal count by construction).
    func view(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        return Tensor(shape: newShape, storage: storage, offset: offset)
    }

    /// An independent copy.
    public func copy() -> Tensor { Tensor(exactly: shape, scalars: scalars) }

    /// Sets every scalar to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Copies `other`'s scalars into this tensor (same count).
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign \(other.shape) into \(shape)")
        if other.storage === storage && other.offset == offset { return }
        pointer.update(from: other.pointer, count: count)
    }

    public var description: String { "Tensor(shape: \(shape), scalars: \(scalars))" }
}
