/// Keras `Embedding(inputDim, outputDim)` (keras/src/layers/core/embedding.py): `y = embeddings[ids]`, weight
/// `embeddings (inputDim, outputDim)` initialised `uniform(-0.05, 0.05)`.
///
/// Input: integer ids stored as floats, any shape (usually `(batch, length)`); output: that shape plus
/// `outputDim`. Ids must be whole numbers in `[0, inputDim)`: `checkInput` reports the first bad one by sample
/// and position before a batch runs. The gradient is a scatter-add into the rows that were used; no gradient
/// flows to the ids. With `maskZero` id 0 is padding: the output carries the mask `ids != 0`
/// (`MaskPropagating`), so recurrent layers downstream skip those steps. `inputLength` (Keras 2) sets the input
/// shape.
public final class Embedding: Layer, InputChecking {
    public let className = "Embedding"
    public var name: String
    public let inputDim: Int
    public let outputDim: Int
    public let embeddingsInitializer: Initializer
    /// Keras's `mask_zero`: id 0 marks padding, masked downstream.
    public let maskZero: Bool
    /// Keras's `embeddings_regularizer` (the `kernel` entries), `activity_regularizer`, `embeddings_constraint`.
    public var regularization = WeightRegularization()
    public let inputSpec: InputSpec?
    public let inputError: StrataError?

    public private(set) var weightHandles: [ParameterHandle] = []
    private var embeddings: ParameterHandle?
    enum Slot { case output, inputGradient, mask }
    private var workspace = Workspace<Slot>()
    private var lastIds: Tensor?
    public private(set) var touchedRows: [Int] = []
    private var rowSeen: [Bool] = []

    public init(
        _ inputDim: Int, outputDim: Int, embeddingsInitializer: Initializer = .uniform(-0.05, 0.05),
        maskZero: Bool = false, inputLength: Int? = nil, inputShape: [Int]? = nil, batchSize: Int? = nil,
        batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.maskZero = maskZero
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.embeddingsInitializer = embeddingsInitializer
        self.name = name
        let layer = name.isEmpty ? "Embedding" : name
        if let length = inputLength, let s = inputShape, s != [length] {
            inputSpec = nil
            inputError = .invalidModel(layer: layer, "inputLength \(length) contradicts inputShape \(s)", hint: "give only one of them")
            return
        }
        switch InputSpec.resolve(
            layer: layer, inputShape: inputShape ?? inputLength.map { [$0] }, inputDim: nil,
            batchSize: batchSize, batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        guard inputDim > 0 && outputDim > 0 else {
            throw StrataError.invalidModel(
                layer: name, "inputDim (\(inputDim)) and outputDim (\(outputDim)) must be positive",
                hint: "inputDim is the vocabulary size (largest id + 1), outputDim the vector size")
        }
        let e = weights.add(
            "embeddings", shape: [inputDim, outputDim], initializer: embeddingsInitializer,
            regularizer: regularization.kernelRegularizer, constraint: regularization.kernelConstraint)
        embeddings = e
        weightHandles = [e]
        return inputShape + [outputDim]
    }

    /// Every id must be a whole number in `[0, inputDim)`; the error names the sample and the position in it.
    public func checkInput(_ x: Tensor, samples: some Collection<Int>, label: String) throws {
        let perRow = x.rowSize
        var sample = samples.makeIterator()
        for r in 0..<(x.shape.first ?? 0) {
            let s = sample.next() ?? r
            for j in 0..<perRow {
                let v = x[flat: r * perRow + j]
                if !(v >= 0 && v < Float(inputDim) && v == v.rounded()) {
                    throw StrataError.invalidData(
                        "\(label): sample \(s), position \(j) holds \(v), which is not an id in [0, \(inputDim)) for layer '\(name)'",
                        hint: "Embedding ids must be integers below inputDim; raise inputDim to the vocabulary size (largest id + 1)")
                }
            }
        }
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let y = workspace.buffer(.output, x.shape + [outputDim])
        Kernels.gatherEmbeddings(context.parameters.value(embeddings!), ids: x, width: outputDim, into: y)
        lastIds = x
        return y
    }

    /// Scatter-adds `dy` into the used rows; returns zeros for the ids (they have no gradient).
    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let ids = lastIds!
        Kernels.scatterAddEmbeddings(dy, ids: ids, width: outputDim, into: context.parameters.gradient(embeddings!))
        // The rows written, distinct and ascending (for the trainer's row-sparse zeroing and update).
        if rowSeen.count != inputDim { rowSeen = Array(repeating: false, count: inputDim) }
        touchedRows.removeAll(keepingCapacity: true)
        for k in 0..<ids.count {
            let r = Int(ids[flat: k])
            if !rowSeen[r] { rowSeen[r] = true; touchedRows.append(r) }
        }
        touchedRows.sort()
        for r in touchedRows { rowSeen[r] = false }
        let dx = workspace.buffer(.inputGradient, ids.shape)
        dx.fill(0)
        return dx
    }

    public var config: [String: JSONValue] {
        ["input_dim": JSONValue(inputDim), "output_dim": JSONValue(outputDim), "mask_zero": .bool(maskZero)].merging(embeddingConfig) {
            a, _ in
            a
        }
    }
}

extension Embedding: MaskPropagating {
    /// `ids != 0` with `maskZero` (Keras `Embedding.compute_mask`), else the mask ends here.
    public func outputMask(inputMask: Tensor?) -> Tensor? {
        guard maskZero, let ids = lastIds else { return nil }
        let m = workspace.buffer(.mask, ids.shape)
        Kernels.nonZeroMask(ids, into: m)
        return m
    }
    public func carriesMask(inputCarriesMask: Bool) -> Bool { maskZero }
}

extension Embedding: RowSparseGradient {
    public var rowSparseWeight: ParameterHandle? { embeddings }
}

extension Embedding: WeightRegularizable {
    /// The regularization entries under Embedding's own key names.
    var embeddingConfig: [String: JSONValue] {
        var c: [String: JSONValue] = [:]
        if let r = regularization.kernelRegularizer { c["embeddings_regularizer"] = r.kerasConfig }
        if let r = regularization.activityRegularizer { c["activity_regularizer"] = r.kerasConfig }
        if let k = regularization.kernelConstraint { c["embeddings_constraint"] = k.kerasConfig }
        return c
    }
}

extension Embedding: ConfigurableLayer {
    public static let kerasClassName = "Embedding"
    public convenience init(config c: LayerConfig) throws {
        // `sparse` only chooses how Keras stores the gradient (Strata's is row-sparse already).
        try c.checkArguments(
            [
                "input_dim", "output_dim", "embeddings_initializer", "sparse", "mask_zero", "embeddings_regularizer",
                "activity_regularizer", "embeddings_constraint",
            ],
            unsupported: [
                UnsupportedArgument("lora_rank", hint: "Strata trains the full embeddings: remove lora_rank"),
                UnsupportedArgument("lora_alpha", hint: "Strata trains the full embeddings: remove lora_alpha"),
                UnsupportedArgument("quantization_config", hint: "Strata computes in float32: remove it"),
            ])
        let io = try c.inputArguments()
        self.init(
            try c.requiredInt("input_dim"), outputDim: try c.requiredInt("output_dim"),
            embeddingsInitializer: try c.initializer("embeddings_initializer", default: .uniform(-0.05, 0.05)),
            maskZero: try c.bool("mask_zero") ?? false, inputLength: try c.int("input_length"), inputShape: io.inputShape,
            batchSize: io.batchSize,
            batchInputShape: io.batchInputShape)
        regularization = WeightRegularization(
            kernelRegularizer: try c.regularizer("embeddings_regularizer"), activityRegularizer: try c.regularizer("activity_regularizer"),
            kernelConstraint: try c.constraint("embeddings_constraint"))
    }
}
