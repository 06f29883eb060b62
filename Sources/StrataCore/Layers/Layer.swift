/// What the first layer of a model says about its input (Keras's `input_shape`, `input_dim`, `batch_size`,
/// `batch_input_shape`). Shapes exclude the batch axis; `batchSize` is the GLOBAL batch.
public struct InputSpec: Equatable, Sendable {
    public var shape: [Int]?
    public var batchSize: Int?
    public init(shape: [Int]? = nil, batchSize: Int? = nil) { self.shape = shape; self.batchSize = batchSize }

    /// Combines Keras's four ways to give an input shape; contradictions are errors naming the layer.
    public static func resolve(
        layer: String, inputShape: [Int]?, inputDim: Int?, batchSize: Int?,
        batchInputShape: [Int]?
    ) -> Result<InputSpec?, StrataError> {
        var shape = inputShape
        var batch = batchSize
        if let d = inputDim {
            if let s = shape, s != [d] {
                return .failure(
                    .invalidModel(
                        layer: layer, "inputDim \(d) contradicts inputShape \(s)",
                        hint: "give only one of inputShape and inputDim"))
            }
            shape = [d]
        }
        if let b = batchInputShape {
            guard b.count >= 2 else {
                return .failure(
                    .invalidModel(
                        layer: layer, "batchInputShape \(b) needs a batch size and at least one more axis",
                        hint: "write it as [batch, ...inputShape], e.g. [32, 8, 16]"))
            }
            let s = Array(b.dropFirst())
            if let given = shape, given != s {
                return .failure(
                    .invalidModel(
                        layer: layer, "batchInputShape \(b) contradicts inputShape \(given)",
                        hint: "give either batchInputShape or inputShape with batchSize"))
            }
            if let bs = batch, bs != b[0] {
                return .failure(
                    .invalidModel(
                        layer: layer, "batchInputShape \(b) contradicts batchSize \(bs)",
                        hint: "give the batch size once"))
            }
            shape = s
            batch = b[0]
        }
        if let s = shape, s.contains(where: { $0 <= 0 }) {
            return .failure(
                .invalidModel(
                    layer: layer, "input shape \(s) has a dimension that is not positive",
                    hint: "every input dimension must be a positive integer"))
        }
        if let b = batch, b <= 0 {
            return .failure(.invalidModel(layer: layer, "batch size \(b) is not positive", hint: "use a positive batch size"))
        }
        if shape == nil && batch == nil { return .success(nil) }
        return .success(InputSpec(shape: shape, batchSize: batch))
    }
}

/// What a layer's forward and backward passes may need besides their input.
public struct LayerContext {
    /// Training mode (dropout active); `fit` passes true, `evaluate` and `predict` false.
    public var training: Bool
    public var parameters: Parameters
    /// The optimizer step (iterations before this update): keys dropout masks.
    public var step: Int
    /// Global position, within the global batch, of this rank's first row: keys dropout masks per sample.
    public var firstRow: Int
    /// The run's seed.
    public var seed: UInt64
    /// This layer's position in the model (so two Dropout layers draw different masks).
    public var layerIndex: Int
    /// Whether `backward` must return `dx`. The model sets it false for its first layer, whose input gradient nobody
    /// reads; a layer may then skip computing `dx` (the returned tensor is empty and must not be read).
    public var needsInputGradient: Bool
    /// Whether `forward` may write its output over its input `x` (aliasing rule 3 in `SharedBuffers`): the model
    /// sets it in training when it owns `x` and nothing reads `x` after this call.
    public var mayOverwriteInput = false
    /// Whether `backward` may write its input gradient over its input `x` (aliasing rule 5 in `SharedBuffers`): the
    /// model sets it in training when it owns `x` and no layer reads `x` in backward but this one.
    public var gradientMayOverwriteInput = false
    /// Whether `forward` may place its output in a range of a dead output the model lends (aliasing rule 6 in
    /// `SharedBuffers`): set by the model for every layer but the last, whose output the caller reads.
    public var mayBorrowOutput = false
    /// Whether `backward` must store (not add) the gradients of the weights it lists in
    /// `WeightGradientWriting.overwrittenGradients`: the trainer did not clear them this step. Set by the model for
    /// the layers the trainer names; false everywhere else.
    public var overwritesWeightGradients = false
    /// Buffers the model lends its layers (nil when a layer is called on its own): the aliasing rules and the
    /// methods that apply them are in `SharedBuffers.swift`.
    public var shared: SharedBuffers?
    /// Threads a layer's own kernels may split a batch over (convolution, pooling): the run's OpenBLAS threads per
    /// rank (`Communicator.threadsPerRank`), passed by the model; a context made by hand takes the process's.
    public var threads: Int
    /// Sums per-channel statistics in place over every rank's rows of the global batch (BatchNormalization's
    /// synchronized moments, `GlobalBatchStatistics`): the trainer's all-reduce; nil when a layer runs on its own
    /// or outside `fit`, where the local rows are the whole batch.
    public var sumOverRanks: ((inout [Double]) -> Void)?
    /// The run's thread pool (`threads` threads) that layers split their loops over: the trainer's, passed by the
    /// model; a context made by hand gets its own (its workers start at its first parallel loop).
    public var pool: ThreadPool
    /// Keras's timestep mask of this layer's input, `(batch, timesteps)` of 1 (use) and 0 (skip), when a `Masking`
    /// layer or `Embedding(maskZero: true)` upstream made one and every layer between passed it on
    /// (`MaskPropagating`); nil otherwise. Set by the model in `forward`.
    public var mask: Tensor? = nil

    public init(
        training: Bool, parameters: Parameters, step: Int = 0, firstRow: Int = 0, seed: UInt64 = 0,
        layerIndex: Int = 0, needsInputGradient: Bool = true, shared: SharedBuffers? = nil,
        threads: Int? = nil, pool: ThreadPool? = nil
    ) {
        self.training = training
        self.parameters = parameters
        self.step = step
        self.firstRow = firstRow
        self.seed = seed
        self.layerIndex = layerIndex
        self.needsInputGradient = needsInputGradient
        self.shared = shared
        self.pool = pool ?? ThreadPool(threads: threads ?? BLAS.threads)
        self.threads = self.pool.threads
    }
}

/// A Keras layer with explicit forward and backward passes (no tape: a Sequential model is a chain).
///
/// `build` declares weights and returns the output shape (both without the batch axis). `forward` caches what
/// `backward` needs; `backward` ADDS the weight gradients into the gradient buffer and returns `dx`.
public protocol Layer: AnyObject {
    /// Keras's class name (`Dense`).
    var className: String { get }
    /// The layer's name (`dense_1`); set by the model when empty.
    var name: String { get set }
    /// Input information given to this layer (meaningful on the first layer).
    var inputSpec: InputSpec? { get }
    /// Why the input information given to `init` was rejected (`InputSpec.resolve`'s failure), if it was:
    /// the model reports it instead of "no input shape". Nil by default.
    var inputError: StrataError? { get }
    /// Declares weights for `inputShape` and returns the output shape.
    func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int]
    /// The weights declared by `build`, in Keras's order.
    var weightHandles: [ParameterHandle] { get }
    func forward(_ x: Tensor, context: LayerContext) -> Tensor
    func backward(_ dy: Tensor, context: LayerContext) -> Tensor
    /// Keras's `get_config()` for this layer (without `name`, which the model adds).
    var config: [String: JSONValue] { get }
    /// Non-trainable state carried across batches (stateful RNNs): empty for most layers.
    var states: [Tensor] { get }
    /// Resets carried state (stateful RNNs); nothing for most layers.
    func resetStates()
    /// Whether `backward` reads the output of the last `forward` (a relu's or sigmoid's, kept for its gradient).
    /// When false the model may let the next layer write over that output (aliasing rule 3 in `SharedBuffers`).
    /// True by default.
    var backwardReadsOutput: Bool { get }
    /// Whether `backward` reads the input of the last `forward` (a kernel gradient does; pooling and dropout do not).
    /// When false, and the layer that produced the input does not read it either, the model lends the input's
    /// memory to later layers' outputs until this layer's backward (aliasing rule 6 in `SharedBuffers`).
    /// True by default.
    var backwardReadsInput: Bool { get }
}

extension Layer {
    public var inputError: StrataError? { nil }
    public var states: [Tensor] { [] }
    public func resetStates() {}
    public var backwardReadsOutput: Bool { true }
    public var backwardReadsInput: Bool { true }
    /// Default Keras name stem: `Dense` -> `dense`, `MaxPooling2D` -> `max_pooling2d`.
    public var nameStem: String {
        var out = ""
        let chars = Array(className)
        for (i, c) in chars.enumerated() {
            if c.isUppercase && i > 0 && (chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase)) {
                out += "_"
            }
            out += c.lowercased()
        }
        return out
    }
}

/// A layer whose output is `activation(z)` for a pre-activation `z` it keeps: losses that Keras's TensorFlow
/// backend computes from logits (softmax/sigmoid + crossentropy) use `logits` and start backward at `z`.
public protocol LogitsProducing: Layer {
    var outputActivation: ActivationFunction { get }
    /// The pre-activation of the last forward pass.
    var logits: Tensor { get }
    /// Backward pass starting from the gradient with respect to `logits`.
    func backward(fromLogits dz: Tensor, context: LayerContext) -> Tensor
}

/// A layer that knows its weights' starting values beyond its initializers (`Normalization` after `adapt`): the model
/// calls `presetWeights` right after initialising the weights.
public protocol PresetWeights: Layer {
    func presetWeights(_ parameters: Parameters)
}
