/// The regularizers and constraints of a layer with a kernel and a bias (Dense, Conv*, the recurrent layers): Keras's
/// `kernel_regularizer`, `bias_regularizer`, `activity_regularizer`, `kernel_constraint`, `bias_constraint`, plus
/// the recurrent layers' `recurrent_regularizer` and `recurrent_constraint`. The layer passes each to the weight it
/// declares (`WeightAllocator.add`); the trainer adds the penalties and applies the constraints.
public struct WeightRegularization: Equatable, Sendable {
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var activityRegularizer: Regularizer?
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    public var recurrentRegularizer: Regularizer?
    public var recurrentConstraint: Constraint?

    public init(
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, recurrentRegularizer: Regularizer? = nil,
        recurrentConstraint: Constraint? = nil
    ) {
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.activityRegularizer = activityRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        self.recurrentRegularizer = recurrentRegularizer
        self.recurrentConstraint = recurrentConstraint
    }

    /// The config keys of a kernel-and-bias layer.
    public static let keys: Set<String> = [
        "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
    ]
    /// The recurrent layers' two more keys.
    public static let recurrentKeys: Set<String> = ["recurrent_regularizer", "recurrent_constraint"]

    /// Reads the keys present in `c` (absent or null: none).
    public init(config c: LayerConfig) throws {
        self.init(
            kernelRegularizer: try c.regularizer("kernel_regularizer"), biasRegularizer: try c.regularizer("bias_regularizer"),
            activityRegularizer: try c.regularizer("activity_regularizer"), kernelConstraint: try c.constraint("kernel_constraint"),
            biasConstraint: try c.constraint("bias_constraint"), recurrentRegularizer: try c.regularizer("recurrent_regularizer"),
            recurrentConstraint: try c.constraint("recurrent_constraint"))
    }

    /// The keys that are set, as Keras 3 serializes them (for `get_config()`).
    public var config: [String: JSONValue] {
        var c: [String: JSONValue] = [:]
        let regs = [
            ("kernel_regularizer", kernelRegularizer), ("bias_regularizer", biasRegularizer),
            ("activity_regularizer", activityRegularizer), ("recurrent_regularizer", recurrentRegularizer),
        ]
        for (k, r) in regs { if let r { c[k] = r.kerasConfig } }
        let cons = [
            ("kernel_constraint", kernelConstraint), ("bias_constraint", biasConstraint), ("recurrent_constraint", recurrentConstraint),
        ]
        for (k, v) in cons { if let v { c[k] = v.kerasConfig } }
        return c
    }
}

/// A layer with Keras's `activity_regularizer`: `penalty(output) / batch size` joins the loss (Keras 3 divides by
/// the batch size; under MPI by the GLOBAL batch size, so the sum over ranks is the one-process value).
public protocol ActivityRegularized: Layer {
    var activityRegularizer: Regularizer? { get }
}

/// A layer whose weights take Keras's regularizers and constraints (Dense, Conv1D/2D, Embedding, LSTM/GRU/SimpleRNN).
public protocol WeightRegularizable: ActivityRegularized {
    /// Set before the model is built (the weights carry it from `build`).
    var regularization: WeightRegularization { get set }
}

extension WeightRegularizable {
    public var activityRegularizer: Regularizer? { regularization.activityRegularizer }

    /// Keras's regularizer and constraint arguments, chained onto the layer before the model is built:
    /// `Conv2D(32, kernelSize: (3, 3)).regularized(kernel: .l2(1e-4), kernelConstraint: .maxNorm())`.
    /// (For `Embedding`, `kernel` means `embeddings`.)
    @discardableResult
    public func regularized(
        kernel: Regularizer? = nil, bias: Regularizer? = nil, activity: Regularizer? = nil, recurrent: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, recurrentConstraint: Constraint? = nil
    ) -> Self {
        regularization = WeightRegularization(
            kernelRegularizer: kernel, biasRegularizer: bias, activityRegularizer: activity, kernelConstraint: kernelConstraint,
            biasConstraint: biasConstraint, recurrentRegularizer: recurrent, recurrentConstraint: recurrentConstraint)
        return self
    }
}
