/// Keras `Dropout(rate)`: inverted dropout, active only in training. Each kept value is scaled by `1/(1-rate)`.
///
/// The mask of element `j` of sample `s` at optimizer step `t` is a pure function of (seed, layer, t, s, j),
/// where `s` is the sample's GLOBAL position in the batch, so 1 rank and N ranks draw identical masks.
public final class Dropout: Layer {
    public let className = "Dropout"
    public var name: String
    public let rate: Float
    public let inputSpec: InputSpec?
    private var workspace = Workspace()
    private var mask: Tensor?

    public init(_ rate: Float, inputShape: [Int]? = nil, name: String = "") {
        self.rate = rate
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard rate >= 0 && rate <= 1 else {
            throw StrataError.invalidModel(layer: name, "rate must be in [0, 1], got \(rate)", hint: "use e.g. Dropout(0.5)")
        }
        return inputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        guard context.training && rate > 0 else { mask = nil; return x }
        let m = workspace.buffer(0, x.shape)
        let rowSize = x.rowSize
        let rows = x.shape.first ?? 0
        let rng = CounterRandom(seed: context.seed, stream: 0x4452_4F50 &+ UInt64(context.layerIndex))  // "DROP"
            .derived(UInt64(context.step))
        let keepScale: Float = rate < 1 ? 1 / (1 - rate) : 0
        let pm = m.pointer
        for r in 0..<rows {
            let base = UInt64(context.firstRow + r) &* UInt64(rowSize)
            for j in 0..<rowSize {
                pm[r &* rowSize &+ j] = rng.uniform(base &+ UInt64(j)) >= rate ? keepScale : 0
            }
        }
        mask = m
        let y = workspace.buffer(1, x.shape)
        Kernels.multiply(x, m, into: y)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        guard let mask else { return dy }
        let dx = workspace.buffer(2, dy.shape)
        Kernels.multiply(dy, mask, into: dx)
        return dx
    }

    public var config: [String: JSONValue] { ["rate": JSONValue(rate)] }
}
