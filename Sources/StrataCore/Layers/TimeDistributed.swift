/// Keras `TimeDistributed(layer)` (keras/src/layers/rnn/time_distributed.py): the same layer, with one set of
/// weights, applied to every step of `(batch, timesteps, ...)`:
///
///     y[:, t] = layer(x[:, t])
///
/// Run as one call over `batch * timesteps` samples (the steps are independent). The weights are the inner
/// layer's (named `<inner>/kernel` ...); a timestep mask passes through, as in Keras.
public final class TimeDistributed: Layer, MaskPassing {
    public let className = "TimeDistributed"
    public var name: String
    public let layer: Layer
    public let inputSpec: InputSpec?
    private var steps = 0
    private var innerInputShape: [Int] = []
    private var innerOutputShape: [Int] = []

    public init(_ layer: Layer, inputShape: [Int]? = nil, name: String = "") {
        self.layer = layer
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) } ?? layer.inputSpec
    }

    public var weightHandles: [ParameterHandle] { layer.weightHandles }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard inputShape.count >= 2 else {
            throw StrataError.invalidModel(
                layer: name, "TimeDistributed needs inputs of shape (timesteps, ...), got \(inputShape)",
                hint: "feed (batch, timesteps, features), e.g. after RepeatVector or an LSTM with returnSequences: true")
        }
        if layer.name.isEmpty { layer.name = layer.nameStem }
        let prefix = weights.namePrefix
        defer { weights.namePrefix = prefix }
        weights.namePrefix = prefix + layer.name + "/"
        steps = inputShape[0]
        innerInputShape = Array(inputShape.dropFirst())
        innerOutputShape = try layer.build(inputShape: innerInputShape, weights: &weights)
        return [steps] + innerOutputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let n = x.shape[0]
        let y = layer.forward(x.view([n * steps] + innerInputShape), context: inner(context))
        return y.view([n, steps] + innerOutputShape)
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let n = dy.shape[0]
        let dx = layer.backward(dy.view([n * steps] + innerOutputShape), context: inner(context))
        return context.needsInputGradient ? dx.view([n, steps] + innerInputShape) : dx
    }

    /// The inner layer sees `batch * timesteps` samples: sample `(b, t)` is global row `b * timesteps + t`.
    private func inner(_ context: LayerContext) -> LayerContext {
        var c = context
        c.firstRow = context.firstRow * steps
        c.mask = nil
        return c
    }

    public var backwardReadsOutput: Bool { layer.backwardReadsOutput }

    public var config: [String: JSONValue] {
        ["layer": NestedLayerConfig.json(layer)]
    }
}

extension TimeDistributed: ConfigurableLayer {
    public static let kerasClassName = "TimeDistributed"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["layer"])
        let layer = try NestedLayerConfig.make("layer", of: c, example: "{class_name: Dense, config: {units: 10}}")
        self.init(layer, inputShape: try c.inputArguments().inputShape)
    }
}
