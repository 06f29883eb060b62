/// Keras `Dense(units)`: `y = activation(x · kernel + bias)`, kernel `(in, units)`, bias `(units,)`.
/// On inputs of rank > 2 it applies to the last axis (keras/src/layers/core/dense.py).
public final class Dense: LogitsProducing, WeightRegularizable {
    public let className = "Dense"
    public var name: String
    public let units: Int
    public let activation: ActivationFunction
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    /// Keras's `kernel_regularizer`, `bias_regularizer`, `activity_regularizer`, `kernel_constraint`, `bias_constraint`.
    public var regularization: WeightRegularization
    public let inputSpec: InputSpec?
    public let inputError: StrataError?

    public private(set) var weightHandles: [ParameterHandle] = []
    private var kernel: ParameterHandle?
    private var bias: ParameterHandle?
    private(set) var inputDim = 0
    /// Rows of `inputDim` per sample (the product of the input's leading axes; 1 for flat inputs).
    private(set) var rowsPerSample = 1
    /// Workspace slots: the pre-activation `z`, the activation's output, the activation gradient `dz` (when the
    /// layer runs alone) and `dx` (ditto, or the empty one of a first layer).
    enum Slot { case preActivation, output, activationGradient, inputGradient }
    private var workspace = Workspace<Slot>()
    private var lastInput: Tensor?
    private var lastZ: Tensor?
    private var lastY: Tensor?

    public init(
        _ units: Int, activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
        kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
        inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil,
        name: String = ""
    ) {
        regularization = WeightRegularization(
            kernelRegularizer: kernelRegularizer, biasRegularizer: biasRegularizer, activityRegularizer: activityRegularizer,
            kernelConstraint: kernelConstraint, biasConstraint: biasConstraint)
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        switch InputSpec.resolve(
            layer: name.isEmpty ? "Dense" : name, inputShape: inputShape, inputDim: inputDim,
            batchSize: batchSize, batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        guard units > 0 else {
            throw StrataError.invalidModel(layer: name, "units must be positive, got \(units)", hint: "use Dense(n) with n >= 1")
        }
        guard let last = inputShape.last, last > 0 else {
            throw StrataError.invalidModel(
                layer: name, "Dense needs an input with a last axis, got shape \(inputShape)",
                hint: "add Flatten() before Dense or give inputShape")
        }
        inputDim = last
        rowsPerSample = inputShape.dropLast().reduce(1, *)
        let k = weights.add(
            "kernel", shape: [last, units], initializer: kernelInitializer, regularizer: regularization.kernelRegularizer,
            constraint: regularization.kernelConstraint)
        kernel = k
        weightHandles = [k]
        if useBias {
            let b = weights.add(
                "bias", shape: [units], initializer: biasInitializer, regularizer: regularization.biasRegularizer,
                constraint: regularization.biasConstraint)
            bias = b
            weightHandles.append(b)
        }
        return Array(inputShape.dropLast()) + [units]
    }

    public var outputActivation: ActivationFunction { activation }
    public var logits: Tensor { lastZ! }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let rows = x.count / inputDim
        let outShape = Array(x.shape.dropLast()) + [units]
        let z =
            activation == .linear
            ? context.output(outShape, workspace: &workspace, slot: .preActivation) : workspace.buffer(.preActivation, outShape)
        let w = context.parameters.value(kernel!)
        if DenseKernels.applies(rows: rows, inputDim: inputDim, units: units) {
            DenseKernels.forward(x, w, into: z, rows: rows, inputDim: inputDim, units: units, pool: context.pool)
        } else {
            BLAS.gemm(x, rowsA: rows, colsA: inputDim, w, rowsB: inputDim, colsB: units, into: z, pool: context.pool)
        }
        if let bias { Kernels.addRowVector(z, context.parameters.value(bias), rows: rows, cols: units) }
        lastInput = x
        lastZ = z
        if activation == .linear { lastY = z; return z }
        let y = context.output(outShape, workspace: &workspace, slot: .output)
        activation.apply(z, into: y)
        lastY = y
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        if activation == .linear { return backward(fromLogits: dy, context: context) }
        let dz = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .activationGradient)
        activation.gradient(x: lastZ!, y: lastY!, dy: dy, into: dz)
        return backward(fromLogits: dz, context: context)
    }

    public func backward(fromLogits dz: Tensor, context: LayerContext) -> Tensor {
        let x = lastInput!
        let rows = x.count / inputDim
        let p = context.parameters
        if DenseKernels.applies(rows: rows, inputDim: inputDim, units: units) {
            // A small batch against a large kernel: dx and dW in one pass over the kernel's rows.
            let dx =
                context.needsInputGradient
                ? context.inputGradient(x.shape, dy: dz, over: x, workspace: &workspace, slot: .inputGradient) : nil
            DenseKernels.backward(
                x, dz, p.value(kernel!), dx: dx, dw: p.gradient(kernel!), accumulate: !context.overwritesWeightGradients,
                rows: rows, inputDim: inputDim, units: units, pool: context.pool)
            if let bias { Kernels.accumulateColumnSums(dz, rows: rows, cols: units, into: p.gradient(bias)) }
            return dx ?? workspace.buffer(.inputGradient, [0])
        }
        // dW = x^T dz in blocks of rows that stay in cache; stored when the trainer did not clear it, else added.
        BLAS.gemm(
            x, rowsA: rows, colsA: inputDim, transA: true, dz, rowsB: rows, colsB: units,
            into: p.gradient(kernel!), beta: context.overwritesWeightGradients ? 0 : 1, pool: context.pool,
            blockRows: Dense.gradientBlockRows(units: units))
        if let bias { Kernels.accumulateColumnSums(dz, rows: rows, cols: units, into: p.gradient(bias)) }
        // The first layer's input gradient is unused: skip its GEMM and return an empty tensor.
        guard context.needsInputGradient else { return workspace.buffer(.inputGradient, [0]) }
        let dx = context.inputGradient(x.shape, dy: dz, over: x, workspace: &workspace, slot: .inputGradient)  // x read above
        BLAS.gemm(
            dz, rowsA: rows, colsA: units, p.value(kernel!), rowsB: inputDim, colsB: units, transB: true, into: dx,
            pool: context.pool)
        return dx
    }

    /// Rows of the kernel gradient per OpenBLAS call in backward (`BLAS.gemm(blockRows:)`): about 384 KiB, within a
    /// core's L2 (384 rows of 256 units), in multiples of 48 rows (the kernels' row unroll).
    static func gradientBlockRows(units: Int) -> Int { max(48, 98_304 / max(units, 1) / 48 * 48) }

    public var config: [String: JSONValue] {
        ["units": JSONValue(units), "activation": .string(activation.kerasName), "use_bias": .bool(useBias)]
            .merging(regularization.config) { a, _ in a }
    }

}

extension Dense: WeightGradientWriting {
    public var overwrittenGradients: [ParameterHandle] { kernel.map { [$0] } ?? [] }
}

extension Dense: ConfigurableLayer {
    public static let kerasClassName = "Dense"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(
            Set(["units", "activation", "use_bias", "kernel_initializer", "bias_initializer"]).union(WeightRegularization.keys),
            unsupported: [
                UnsupportedArgument("lora_rank", hint: "Strata trains the full kernel: remove lora_rank"),
                UnsupportedArgument("lora_alpha", hint: "Strata trains the full kernel: remove lora_alpha"),
                UnsupportedArgument("quantization_config", hint: "Strata computes in float32: remove it"),
            ])
        let io = try c.inputArguments()
        let r = try WeightRegularization(config: c)
        self.init(
            try c.requiredInt("units"), activation: try c.activation(), useBias: try c.bool("use_bias") ?? true,
            kernelInitializer: try c.initializer("kernel_initializer", default: .glorotUniform),
            biasInitializer: try c.initializer("bias_initializer", default: .zeros),
            kernelRegularizer: r.kernelRegularizer, biasRegularizer: r.biasRegularizer, activityRegularizer: r.activityRegularizer,
            kernelConstraint: r.kernelConstraint, biasConstraint: r.biasConstraint,
            inputShape: io.inputShape, inputDim: io.inputDim, batchSize: io.batchSize, batchInputShape: io.batchInputShape)
    }
}
