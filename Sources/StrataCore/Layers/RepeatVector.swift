/// Keras `RepeatVector(n)` (keras/src/layers/reshaping/repeat_vector.py): `(batch, features)` to
/// `(batch, n, features)`, every step a copy of the input; the gradient sums over the `n` steps.
public final class RepeatVector: Layer {
    public let className = "RepeatVector"
    public var name: String
    public let n: Int
    public let inputSpec: InputSpec?
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var features = 0

    public init(_ n: Int, inputShape: [Int]? = nil, name: String = "") {
        self.n = n
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard n > 0 else {
            throw StrataError.invalidModel(layer: name, "n must be positive, got \(n)", hint: "use RepeatVector(n) with n >= 1")
        }
        guard inputShape.count == 1 else {
            throw StrataError.invalidModel(
                layer: name, "RepeatVector needs inputs of shape (features), got \(inputShape)",
                hint: "put it after a layer that outputs one vector per sample (an LSTM without returnSequences, Dense, Flatten)")
        }
        features = inputShape[0]
        return [n, features]
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let rows = x.shape[0]
        let y = workspace.buffer(.output, [rows, n, features])
        Kernels.repeatRows(x, rows: rows, width: features, times: n, y, accumulate: false)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let rows = dy.shape[0]
        let dx = workspace.buffer(.inputGradient, [rows, features])
        Kernels.repeatRows(dx, rows: rows, width: features, times: n, dy, accumulate: true)
        return dx
    }

    public var backwardReadsOutput: Bool { false }
    public var config: [String: JSONValue] { ["n": JSONValue(n)] }
}

extension RepeatVector: ConfigurableLayer {
    public static let kerasClassName = "RepeatVector"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["n"])
        self.init(try c.requiredInt("n"), inputShape: try c.inputArguments().inputShape)
    }
}
