/// Where one weight lives in the flat parameter buffer.
public struct ParameterHandle: Equatable, Sendable {
    /// Position in declaration order (Keras's weight order).
    public let index: Int
    public let offset: Int
    public let shape: [Int]
    /// Keras's variable name (`kernel`, `bias`, `recurrent_kernel`, `embeddings`).
    public let name: String
    public let initializer: Initializer
    public let trainable: Bool
    public var count: Int { shape.reduce(1, *) }
}

/// Collects the weights that layers declare in `build`, in order, and assigns their offsets.
public struct WeightAllocator {
    public private(set) var handles: [ParameterHandle] = []
    public private(set) var total = 0
    public init() {}

    /// Declares a weight; the returned handle is what a layer keeps.
    public mutating func add(_ name: String, shape: [Int], initializer: Initializer, trainable: Bool = true)
        -> ParameterHandle {
        let h = ParameterHandle(index: handles.count, offset: total, shape: shape, name: name,
                                initializer: initializer, trainable: trainable)
        handles.append(h)
        total += h.count
        return h
    }
}

/// Every number of the model in ONE flat buffer, with a gradient twin of the same layout.
///
/// Why one buffer: one all-reduce per step, one optimizer loop, one checkpoint loop. The gradient buffer has
/// `extras` more scalars at its end, where the per-step loss and metric sums ride along in the same all-reduce.
public final class Parameters {
    public let handles: [ParameterHandle]
    public let values: Tensor
    /// Gradients (`count` scalars) followed by the `extras` slots.
    public private(set) var gradientBuffer: Tensor
    public let count: Int
    public private(set) var extras: Int

    public init(handles: [ParameterHandle], count: Int, extras: Int = 0) {
        self.handles = handles
        self.count = count
        self.extras = extras
        values = Tensor(zeros: [count])
        gradientBuffer = Tensor(zeros: [count + extras])
    }

    func replaceGradientBuffer(_ t: Tensor, extras n: Int) {
        gradientBuffer = t
        extras = n
    }

    /// The gradients only (without the extras).
    public var gradients: Tensor { gradientBuffer.rows(0..<count) }
    /// The extra slots after the gradients.
    public var extraSlots: Tensor { gradientBuffer.rows(count..<(count + extras)) }

    /// The value of one weight, as a view with its shape.
    public func value(_ h: ParameterHandle) -> Tensor {
        Tensor(shape: h.shape, storage: values.storage, offset: values.offset + h.offset)
    }

    /// The gradient of one weight, as a view with its shape.
    public func gradient(_ h: ParameterHandle) -> Tensor {
        Tensor(shape: h.shape, storage: gradientBuffer.storage, offset: gradientBuffer.offset + h.offset)
    }

    /// Initialises every weight from `seed` (each from its own counter stream, keyed by its index).
    public func initialize(seed: UInt64) {
        let root = CounterRandom(seed: seed, stream: 0x5745_4947_4854)  // "WEIGHT"
        for h in handles { h.initializer.fill(value(h), rng: root.derived(UInt64(h.index))) }
    }

    /// Number of trainable scalars.
    public var trainableCount: Int { handles.filter(\.trainable).reduce(0) { $0 + $1.count } }
}
