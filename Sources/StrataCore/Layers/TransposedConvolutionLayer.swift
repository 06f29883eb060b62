/// The public front `Conv1DTranspose` and `Conv2DTranspose` share: Keras's arguments (sizes as `Int` for 1-D,
/// `(height, width)` for 2-D), the weights, the config and the regularizers; the computation is
/// `TransposedConvolution`'s, which sees a 1-D layer as a 2-D one of height 1.
public class TransposedConvolutionLayer<Size>: Layer {
    public let className: String
    public var name: String
    public let filters: Int
    public let kernelSize: Size
    public let strides: Size
    public let padding: Padding
    public let outputPadding: Size?
    public let dilationRate: Size
    public let activation: ActivationFunction
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    let engine: TransposedConvolution
    public private(set) var weightHandles: [ParameterHandle] = []
    /// Keras's regularizers and constraints (`kernel_*`, `bias_*`, `activity_regularizer`), set before the model is built.
    public var regularization = WeightRegularization()
    /// A size as `(height, width)`: `(1, k)` for a 1-D layer (`(0, p)` for its output padding).
    private let pair: (Size) -> (Int, Int)

    /// Upper bound on the scalars of one packed chunk (memory versus GEMM size); tests lower it to force chunking.
    public var packingBudget: Int {
        get { engine.packingBudget }
        set { engine.packingBudget = newValue }
    }

    init(
        className: String, spatialRank: Int, pair: @escaping (Size) -> (Int, Int), filters: Int, kernelSize: Size, strides: Size,
        padding: Padding, outputPadding: Size?, dilationRate: Size, activation: ActivationFunction, useBias: Bool,
        kernelInitializer: Initializer, biasInitializer: Initializer, inputShape: [Int]?, batchSize: Int?, batchInputShape: [Int]?,
        name: String
    ) {
        self.className = className
        self.pair = pair
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        engine = TransposedConvolution(spatialRank: spatialRank, filters: filters, activation: activation)
        switch InputSpec.resolve(
            layer: name.isEmpty ? className : name, inputShape: inputShape, inputDim: nil, batchSize: batchSize,
            batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    /// A size in Keras's config form: `[k]` (1-D) or `[kh, kw]`.
    private func list(_ s: Size) -> [Int] {
        let p = pair(s)
        return engine.spatialRank == 1 ? [p.1] : [p.0, p.1]
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        engine.regularization = regularization
        weightHandles = try engine.build(
            layer: name, className: className, inputShape: inputShape, kernelSize: pair(kernelSize), strides: pair(strides),
            dilationRate: pair(dilationRate), padding: padding,
            outputPadding: outputPadding.map { engine.spatialRank == 1 ? (0, pair($0).1) : pair($0) }, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, weights: &weights)
        return engine.outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        TransposedConvolution.config(
            filters: filters, kernelSize: list(kernelSize), strides: list(strides), padding: padding,
            outputPadding: outputPadding.map(list), dilationRate: list(dilationRate), activation: activation, useBias: useBias
        ).merging(regularization.config(kernel: "kernel")) { a, _ in a }
    }
}

extension TransposedConvolutionLayer: RegularizationHolding {}
