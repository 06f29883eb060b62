/// Keras `Softmax(axis=-1)`: `y = e^(x - m) / sum(e^(x - m))` along `axis` (`m` the maximum there)
/// (keras/src/layers/activations/softmax.py). Over the last axis it hands its logits to a crossentropy loss, as
/// Keras's `activations.softmax` does (`_keras_logits`).
public final class Softmax: LogitsProducing {
    public let className = "Softmax"
    public var name: String
    /// The axis, negative from the end, as given.
    public let axis: Int
    public let inputSpec: InputSpec?
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var lastX: Tensor?
    private var lastY: Tensor?
    /// `(outer, axis, inner)` of the sample shape (batch in `outer`), known once built.
    private var split = (axisIndex: 0, size: 1, inner: 1)

    public init(axis: Int = -1, inputShape: [Int]? = nil, name: String = "") {
        self.axis = axis
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        let rank = inputShape.count + 1  // Keras counts the batch axis
        guard axis != 0 && axis >= -rank + 1 && axis < rank else {
            throw StrataError.invalidModel(
                layer: name, "axis \(axis) is not a feature axis of an input of rank \(rank) (batch included)",
                hint: "use an axis in 1..<\(rank) or -\(rank - 1)...-1")
        }
        let a = axis > 0 ? axis - 1 : inputShape.count + axis
        split = (a, inputShape[a], inputShape[(a + 1)...].reduce(1, *))
        return inputShape
    }

    private func outer(_ x: Tensor) -> Int { x.count / max(split.size * split.inner, 1) }
    private var overLastAxis: Bool { split.inner == 1 }

    public var outputActivation: ActivationFunction { overLastAxis ? .softmax : .linear }
    public var logits: Tensor { lastX! }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let y = workspace.buffer(.output, x.shape)
        ActivationKernels.softmax(x, into: y, outer: outer(x), axis: split.size, inner: split.inner)
        lastX = x
        lastY = y
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let dx = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .inputGradient)
        ActivationKernels.softmaxGradient(y: lastY!, dy: dy, into: dx, outer: outer(dy), axis: split.size, inner: split.inner)
        return dx
    }

    public func backward(fromLogits dz: Tensor, context: LayerContext) -> Tensor { overLastAxis ? dz : backward(dz, context: context) }

    public var config: [String: JSONValue] { ["axis": JSONValue(axis)] }
}

extension Softmax: ConfigurableLayer {
    public static let kerasClassName = "Softmax"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["axis"])
        let axes = try c.ints("axis") ?? [-1]
        guard axes.count == 1 else {
            throw StrataError.invalidModel(
                layer: c.layerName, "Softmax over several axes (\(c.values["axis"]!.jsonText)) is not supported",
                hint: "use one axis, or Reshape so the axes become one")
        }
        self.init(axis: axes[0], inputShape: try c.inputArguments().inputShape)
    }
}
