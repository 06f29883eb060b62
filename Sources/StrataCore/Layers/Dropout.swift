/// Keras `Dropout(rate)`: inverted dropout, active only in training. Each kept value is scaled by `1/(1-rate)`.
///
/// The mask of element `j` of sample `s` at optimizer step `t` is a pure function of (seed, layer, t, s, j),
/// where `s` is the sample's GLOBAL position in the batch, so 1 rank and N ranks draw identical masks. Kept iff
/// `u >= rate` for a 24-bit uniform `u` from a 32-bit counter-based hash, drawn 8 at a time in AVX2
/// (`dropout_kernels.h`; the same flags as `Mask.isKept`, pinned by `DropoutTests.testMasksArePinned`).
/// The mask is kept as one byte per element (a Float mask was as large as the input; regenerating it in backward
/// made a small MLP's step 16% slower), and when the model allows it (`mayOverwriteInput`, e.g. after pooling)
/// the output is written over the input.
public final class Dropout: Layer {
    public let className = "Dropout"
    public var name: String
    public let rate: Float
    public let inputSpec: InputSpec?
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    /// The last training forward pass's mask (nil when it passed `x` through) and its keep flags.
    private var mask: Mask?
    private var kept: [UInt8] = []

    public init(_ rate: Float, inputShape: [Int]? = nil, name: String = "") {
        self.rate = rate
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }
    /// Backward reads the recorded keep flags, not the output.
    public var backwardReadsOutput: Bool { false }
    public var backwardReadsInput: Bool { false }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard rate >= 0 && rate <= 1 else {
            throw StrataError.invalidModel(layer: name, "rate must be in [0, 1], got \(rate)", hint: "use e.g. Dropout(0.5)")
        }
        return inputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        guard context.training && rate > 0 else { mask = nil; return x }
        let m = Mask(rate: rate, context: context, rowSize: x.rowSize)
        mask = m
        let y = context.output(over: x, workspace: &workspace, slot: .output)
        if kept.count < x.count { kept = [UInt8](repeating: 0, count: x.count) }
        Kernels.dropout(x, into: y, mask: m, recording: &kept, pool: context.pool)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        guard let mask else { return dy }
        let dx = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .inputGradient)
        Kernels.dropoutGradient(dy, into: dx, mask: mask, recorded: kept, pool: context.pool)
        return dx
    }

    public var config: [String: JSONValue] { ["rate": JSONValue(rate)] }

    /// lowbias32 (Chris Wellons' 32-bit integer hash): bijective, good avalanche, only 32-bit operations.
    @inline(__always)
    static func hash(_ x0: UInt32) -> UInt32 {
        var x = x0
        x ^= x >> 16
        x = x &* 0x7FEB_352D
        x ^= x >> 15
        x = x &* 0x846C_A68B
        x ^= x >> 16
        return x
    }

    /// The mask of one training step: a pure function of (seed, layer, step, global element index).
    ///
    /// Element e of the batch (global flat index (firstRow + r) * rowSize + j, mod 2^32) is kept iff its 24-bit
    /// uniform u24 >= rate * 2^24 (u24 / 2^24 >= rate, 24-bit precision). u = h(h(e ^ k1) + k2) with h a 32-bit
    /// integer hash (lowbias32) and (k1, k2) the 64-bit key of (seed, layer, step): so 1 rank and N ranks build
    /// identical masks, and 32-bit lanes let the loop vectorise (a 64-bit mix per element made the mask ~45% of a
    /// small MLP's step).
    struct Mask {
        let k1: UInt32, k2: UInt32, e0: UInt32, threshold: UInt32
        let keepScale: Float

        init(rate: Float, context: LayerContext, rowSize: Int) {
            let rng = CounterRandom(seed: context.seed, stream: 0x4452_4F50 &+ UInt64(context.layerIndex))  // "DROP"
                .derived(UInt64(context.step))
            k1 = UInt32(truncatingIfNeeded: rng.key)
            k2 = UInt32(truncatingIfNeeded: rng.key >> 32)
            e0 = UInt32(truncatingIfNeeded: UInt64(context.firstRow) &* UInt64(rowSize))
            threshold = UInt32((Double(rate) * 16_777_216).rounded(.up))
            keepScale = rate < 1 ? 1 / (1 - rate) : 0
        }

        /// Whether element `i` of this rank's batch is kept (`Kernels.dropout` applies the mask).
        @inline(__always)
        func isKept(_ i: Int) -> Bool {
            Dropout.hash(Dropout.hash((e0 &+ UInt32(truncatingIfNeeded: i)) ^ k1) &+ k2) >> 8 >= threshold
        }
    }
}

extension Dropout: ConfigurableLayer {
    public static let kerasClassName = "Dropout"
    public convenience init(config c: LayerConfig) throws {
        // Keras's `seed` draws Keras's own masks; Strata's masks come from the run seed, so it is accepted and unused.
        try c.checkArguments(
            ["rate", "seed"],
            unsupported: [
                UnsupportedArgument("noise_shape", hint: "Strata draws one mask value per element: remove noise_shape")
            ])
        guard let r = try c.double("rate") else { throw c.fail("rate", "a number in [0, 1) (it is required)") }
        self.init(Float(r), inputShape: try c.inputArguments().inputShape)
    }
}
