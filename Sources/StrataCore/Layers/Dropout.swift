/// Keras `Dropout(rate)`: inverted dropout, active only in training. Each kept value is scaled by `1/(1-rate)`.
///
/// The mask of element `j` of sample `s` at optimizer step `t` is a pure function of (seed, layer, t, s, j),
/// where `s` is the sample's GLOBAL position in the batch, so 1 rank and N ranks draw identical masks. Kept iff
/// `u >= rate` for a 24-bit uniform `u`; one 64-bit counter-based draw serves two neighbouring elements.
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
        // Element e of the batch (global flat index: (firstRow + r) * rowSize + j) is kept iff its 24-bit uniform
        // u24 >= rate * 2^24, i.e. u24 / 2^24 >= rate as before, with the same 24-bit precision. One SplitMix64
        // draw, keyed by (seed, layer, step, e / 2), gives two elements (one 32-bit half each): a quarter of the
        // mixes of drawing each element's own `bits`, and still a pure function of the global element index, so
        // 1 rank and N ranks build identical masks.
        let threshold = UInt64((Double(rate) * 16_777_216).rounded(.up))
        let key = rng.key
        let g0 = UInt64(context.firstRow) &* UInt64(rowSize)
        let n = rows &* rowSize
        @inline(__always) func draw(_ pair: UInt64) -> UInt64 { CounterRandom.mix(key &+ pair &* 0xD1B5_4A32_D192_ED03) }
        @inline(__always) func keep(_ half: UInt64) -> Float { (half >> 8) & 0xFF_FFFF >= threshold ? keepScale : 0 }
        var i = 0
        if n > 0 && g0 & 1 == 1 {  // a shard that starts on the odd half of a pair
            pm[0] = keep(draw(g0 >> 1) >> 32)
            i = 1
        }
        while i &+ 1 < n {
            let b = draw((g0 &+ UInt64(i)) >> 1)
            pm[i] = keep(b & 0xFFFF_FFFF)
            pm[i &+ 1] = keep(b >> 32)
            i &+= 2
        }
        if i < n { pm[i] = keep(draw((g0 &+ UInt64(i)) >> 1) & 0xFFFF_FFFF) }
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
