/// Keras `Permute(dims)` (keras/src/layers/reshaping/permute.py): reorders the sample axes,
/// `y = transpose(x, (0,) + dims)` with `dims` 1-based (`Permute([2, 1])` swaps the two axes of `(steps,
/// features)`); the gradient applies the inverse order.
public final class Permute: Layer {
    public let className = "Permute"
    public var name: String
    /// Keras's 1-based axes: output axis `i + 1` is input axis `dims[i]`.
    public let dims: [Int]
    public let inputSpec: InputSpec?
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var inputShape: [Int] = []
    private var outputShape: [Int] = []

    public init(_ dims: [Int], inputShape: [Int]? = nil, name: String = "") {
        self.dims = dims
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard dims.sorted() == Array(1...max(1, inputShape.count)) && dims.count == inputShape.count else {
            throw StrataError.invalidModel(
                layer: name, "dims \(dims) is not an order of the axes 1...\(inputShape.count) of the input \(inputShape)",
                hint: "give each sample axis once, counting from 1 (the batch axis is not listed), e.g. Permute([2, 1])")
        }
        self.inputShape = inputShape
        outputShape = dims.map { inputShape[$0 - 1] }
        return outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let rows = x.shape[0]
        let y = workspace.buffer(.output, [rows] + outputShape)
        Kernels.permute(x, rows: rows, shape: inputShape, dims: dims.map { $0 - 1 }, into: y)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let rows = dy.shape[0]
        var inverse = [Int](repeating: 0, count: dims.count)
        for (i, d) in dims.enumerated() { inverse[d - 1] = i }
        let dx = workspace.buffer(.inputGradient, [rows] + inputShape)
        Kernels.permute(dy, rows: rows, shape: outputShape, dims: inverse, into: dx)
        return dx
    }

    public var backwardReadsOutput: Bool { false }
    public var config: [String: JSONValue] { ["dims": .array(dims.map { JSONValue($0) })] }
}

extension Permute: ConfigurableLayer {
    public static let kerasClassName = "Permute"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["dims"])
        guard let dims = try c.ints("dims") else { throw c.fail("dims", "a list of axes such as [2, 1]") }
        self.init(dims, inputShape: try c.inputArguments().inputShape)
    }
}
