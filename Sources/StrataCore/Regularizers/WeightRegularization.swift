/// The regularizers and constraints of a layer's weights: Keras's `kernel_regularizer`, `bias_regularizer`,
/// `activity_regularizer`, `kernel_constraint`, `bias_constraint`, the recurrent layers' `recurrent_regularizer` and
/// `recurrent_constraint`, and the separable layers' `pointwise_regularizer` and `pointwise_constraint`. The layer
/// passes each to the weight it declares (`WeightAllocator.add`); the trainer adds the penalties and applies the
/// constraints. The kernel and bias slots carry other Keras names where a layer calls its weights so: `depthwise`
/// (DepthwiseConv2D, SeparableConv1D/2D), `embeddings` (Embedding), `gamma` and `beta` (the normalization layers).
public struct WeightRegularization: Equatable, Sendable {
    public var kernelRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var activityRegularizer: Regularizer?
    public var kernelConstraint: Constraint?
    public var biasConstraint: Constraint?
    public var recurrentRegularizer: Regularizer?
    public var recurrentConstraint: Constraint?
    public var pointwiseRegularizer: Regularizer?
    public var pointwiseConstraint: Constraint?

    public init(
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, recurrentRegularizer: Regularizer? = nil,
        recurrentConstraint: Constraint? = nil, pointwiseRegularizer: Regularizer? = nil, pointwiseConstraint: Constraint? = nil
    ) {
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.activityRegularizer = activityRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        self.recurrentRegularizer = recurrentRegularizer
        self.recurrentConstraint = recurrentConstraint
        self.pointwiseRegularizer = pointwiseRegularizer
        self.pointwiseConstraint = pointwiseConstraint
    }

    /// The config keys of a kernel-and-bias layer.
    public static let keys: Set<String> = keys(kernel: "kernel")
    /// The recurrent layers' two more keys.
    public static let recurrentKeys: Set<String> = ["recurrent_regularizer", "recurrent_constraint"]

    /// The config keys of a layer whose kernel and bias slots Keras calls `kernel` and `bias` (`depthwise`,
    /// `gamma`...), with the separable layers' `pointwise_*` keys when `pointwise`.
    public static func keys(kernel: String = "kernel", bias: String = "bias", pointwise: Bool = false) -> Set<String> {
        var k: Set<String> = [
            kernel + "_regularizer", bias + "_regularizer", "activity_regularizer", kernel + "_constraint", bias + "_constraint",
        ]
        if pointwise { k.formUnion(["pointwise_regularizer", "pointwise_constraint"]) }
        return k
    }

    /// Reads the keys present in `c` (absent or null: none), the kernel and bias slots under Keras's `kernel` and
    /// `bias` prefixes.
    public init(config c: LayerConfig, kernel: String = "kernel", bias: String = "bias") throws {
        self.init(
            kernelRegularizer: try c.regularizer(kernel + "_regularizer"), biasRegularizer: try c.regularizer(bias + "_regularizer"),
            activityRegularizer: try c.regularizer("activity_regularizer"), kernelConstraint: try c.constraint(kernel + "_constraint"),
            biasConstraint: try c.constraint(bias + "_constraint"), recurrentRegularizer: try c.regularizer("recurrent_regularizer"),
            recurrentConstraint: try c.constraint("recurrent_constraint"),
            pointwiseRegularizer: try c.regularizer("pointwise_regularizer"), pointwiseConstraint: try c.constraint("pointwise_constraint"))
    }

    /// The keys that are set, as Keras 3 serializes them (for `get_config()`).
    public var config: [String: JSONValue] { config() }

    /// The keys that are set, the kernel and bias slots under the prefixes `kernel` and `bias`.
    public func config(kernel: String = "kernel", bias: String = "bias") -> [String: JSONValue] {
        var c: [String: JSONValue] = [:]
        let regs = [
            (kernel + "_regularizer", kernelRegularizer), (bias + "_regularizer", biasRegularizer),
            ("activity_regularizer", activityRegularizer), ("recurrent_regularizer", recurrentRegularizer),
            ("pointwise_regularizer", pointwiseRegularizer),
        ]
        for (k, r) in regs { if let r { c[k] = r.kerasConfig } }
        let cons = [
            (kernel + "_constraint", kernelConstraint), (bias + "_constraint", biasConstraint),
            ("recurrent_constraint", recurrentConstraint), ("pointwise_constraint", pointwiseConstraint),
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

/// A layer holding a `WeightRegularization`: its weights' regularizers and constraints and its activity regularizer.
public protocol RegularizationHolding: ActivityRegularized {
    /// Set before the model is built (the weights carry it from `build`).
    var regularization: WeightRegularization { get set }
}

extension RegularizationHolding {
    public var activityRegularizer: Regularizer? { regularization.activityRegularizer }
}

/// A layer whose weights take Keras's `kernel_*`/`bias_*` regularizers and constraints (Dense, Conv1D/2D,
/// Conv1D/2DTranspose, Embedding, LSTM/GRU/SimpleRNN).
public protocol WeightRegularizable: RegularizationHolding {}

extension WeightRegularizable {
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

/// `SeparableConv1D`/`SeparableConv2D`: Keras's `depthwise_*`, `pointwise_*` and `bias_*` arguments.
public protocol SeparablyRegularizable: RegularizationHolding {}

extension SeparablyRegularizable {
    /// Keras's regularizer and constraint arguments of a separable convolution, chained before the model is built:
    /// `SeparableConv2D(16, kernelSize: (3, 3)).regularized(depthwise: .l2(1e-4), pointwiseConstraint: .maxNorm())`.
    @discardableResult
    public func regularized(
        depthwise: Regularizer? = nil, pointwise: Regularizer? = nil, bias: Regularizer? = nil, activity: Regularizer? = nil,
        depthwiseConstraint: Constraint? = nil, pointwiseConstraint: Constraint? = nil, biasConstraint: Constraint? = nil
    ) -> Self {
        regularization = WeightRegularization(
            kernelRegularizer: depthwise, biasRegularizer: bias, activityRegularizer: activity, kernelConstraint: depthwiseConstraint,
            biasConstraint: biasConstraint, pointwiseRegularizer: pointwise, pointwiseConstraint: pointwiseConstraint)
        return self
    }
}

/// `BatchNormalization`/`LayerNormalization`: Keras's `gamma_*` and `beta_*` arguments (and `activity_regularizer`).
public protocol GammaBetaRegularizable: RegularizationHolding {}

extension GammaBetaRegularizable {
    /// Keras's regularizer and constraint arguments of a normalization layer, chained before the model is built:
    /// `BatchNormalization().regularized(gamma: .l2(1e-4), betaConstraint: .nonNeg)`.
    @discardableResult
    public func regularized(
        gamma: Regularizer? = nil, beta: Regularizer? = nil, activity: Regularizer? = nil, gammaConstraint: Constraint? = nil,
        betaConstraint: Constraint? = nil
    ) -> Self {
        regularization = WeightRegularization(
            kernelRegularizer: gamma, biasRegularizer: beta, activityRegularizer: activity, kernelConstraint: gammaConstraint,
            biasConstraint: betaConstraint)
        return self
    }
}

extension WeightRegularization {
    /// The weights a `WeightRegularization` speaks for.
    public enum Slot: Sendable { case kernel, bias, recurrent, pointwise }

    /// The regularizer and constraint of `slot`'s weight.
    public func penalties(_ slot: Slot) -> (regularizer: Regularizer?, constraint: Constraint?) {
        switch slot {
        case .kernel: return (kernelRegularizer, kernelConstraint)
        case .bias: return (biasRegularizer, biasConstraint)
        case .recurrent: return (recurrentRegularizer, recurrentConstraint)
        case .pointwise: return (pointwiseRegularizer, pointwiseConstraint)
        }
    }
}

extension WeightAllocator {
    /// Declares a trainable weight carrying `regularization`'s regularizer and constraint for `slot`.
    public mutating func add(
        _ name: String, shape: [Int], initializer: Initializer, regularization: WeightRegularization, slot: WeightRegularization.Slot
    ) -> ParameterHandle {
        let p = regularization.penalties(slot)
        return add(name, shape: shape, initializer: initializer, regularizer: p.regularizer, constraint: p.constraint)
    }
}
