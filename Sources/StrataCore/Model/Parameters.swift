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
    /// Keras's `regularizer` of this weight (`kernel_regularizer`...): its penalty joins the loss.
    public var regularizer: Regularizer? = nil
    /// Keras's `constraint` of this weight (`kernel_constraint`...): applied after each update.
    public var constraint: Constraint? = nil
    public var count: Int { shape.reduce(1, *) }
}

/// Collects the weights that layers declare in `build`, in order, and assigns their offsets.
public struct WeightAllocator {
    public private(set) var handles: [ParameterHandle] = []
    public private(set) var total = 0
    /// Put before each name `add` is given: a wrapper (`Bidirectional`) names its inner layers' weights
    /// (`forward_lstm/kernel`).
    public var namePrefix = ""
    public init() {}

    /// Declares a weight; the returned handle is what a layer keeps.
    public mutating func add(
        _ name: String, shape: [Int], initializer: Initializer, trainable: Bool = true,
        regularizer: Regularizer? = nil, constraint: Constraint? = nil
    ) -> ParameterHandle {
        let h = ParameterHandle(
            index: handles.count, offset: total, shape: shape, name: namePrefix + name,
            initializer: initializer, trainable: trainable, regularizer: regularizer, constraint: constraint)
        handles.append(h)
        total += h.count
        return h
    }
}

/// Every number of the model in ONE flat buffer, with a gradient twin of the same layout.
///
/// Why one buffer: one all-reduce per step, one optimizer loop, one checkpoint loop. During `fit` the gradients
/// are the front of the trainer's step buffer, whose tail carries the step's loss and metric sums, so the same
/// all-reduce sums them (`useGradients(in:)`).
public final class Parameters {
    public let handles: [ParameterHandle]
    public let values: Tensor
    /// The gradients (`count` scalars; a view of the trainer's step buffer during `fit`).
    public private(set) var gradients: Tensor
    public let count: Int

    public init(handles: [ParameterHandle], count: Int) {
        self.handles = handles
        self.count = count
        values = Tensor(zeros: [count])
        gradients = Tensor(zeros: [count])
    }

    /// The gradients (the name before the step sums moved to the trainer).
    @available(*, deprecated, renamed: "gradients")
    public var gradientBuffer: Tensor { gradients }

    /// Makes the first `count` scalars of `buffer` the gradients (the trainer's step buffer: gradients, then sums).
    func useGradients(in buffer: Tensor) {
        precondition(buffer.count >= count, "step buffer of \(buffer.count) for \(count) gradients")
        gradients = buffer.rows(0..<count)
    }

    /// The value of one weight, as a view with its shape.
    public func value(_ h: ParameterHandle) -> Tensor {
        Tensor(shape: h.shape, storage: values.storage, offset: values.offset + h.offset)
    }

    /// The gradient of one weight, as a view with its shape.
    public func gradient(_ h: ParameterHandle) -> Tensor {
        Tensor(shape: h.shape, storage: gradients.storage, offset: gradients.offset + h.offset)
    }

    /// Initialises every weight from `seed` (each from its own counter stream, keyed by its index).
    public func initialize(seed: UInt64) {
        let root = CounterRandom(seed: seed, stream: 0x5745_4947_4854)  // "WEIGHT"
        for h in handles { h.initializer.fill(value(h), rng: root.derived(UInt64(h.index))) }
    }

    /// Keras's regularization losses: the sum of each regularized trainable weight's penalty.
    public func regularizationPenalty() -> Double {
        handles.reduce(0.0) { s, h in s + (h.trainable ? h.regularizer.map { $0.penalty(value(h)) } ?? 0 : 0) }
    }

    /// Adds the weights' penalty gradients into `gradients` (after the all-reduce, so once globally).
    public func addRegularizerGradients() {
        for h in handles where h.trainable { h.regularizer?.addGradient(of: value(h), into: gradient(h)) }
    }

    /// Applies each weight's constraint (after the optimizer update, as Keras does).
    public func applyConstraints() {
        for h in handles where h.trainable { h.constraint?.apply(to: value(h)) }
    }

    /// After the all-reduce of a step: the penalty joins the step's loss sum as Keras reports it (the batch's mean
    /// loss plus the penalty, so `penalty * count` of the `count` loss values) and its gradient joins the global
    /// gradient once.
    func addRegularization(toLossSum sums: Tensor, count: Float) {
        guard handles.contains(where: { $0.regularizer != nil }) else { return }
        sums[flat: 0] += Float(regularizationPenalty()) * count
        addRegularizerGradients()
    }

    /// Number of trainable scalars.
    public var trainableCount: Int { handles.filter(\.trainable).reduce(0) { $0 + $1.count } }
}
