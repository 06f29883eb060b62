/// Keras `SpatialDropout1D(rate)` / `SpatialDropout2D(rate)` (keras/src/layers/regularization/spatial_dropout.py):
/// dropout whose mask is shared along the steps (1D: noise shape `(batch, 1, channels)`) or the height and width
/// (2D: `(batch, 1, 1, channels)`), so whole feature maps are dropped; kept values are scaled by `1/(1-rate)`.
/// The mask of channel `c` of sample `s` is a pure function of (seed, layer, step, global `s`, `c`), as Dropout's.
public class SpatialDropout: Layer {
    public var className: String { spatialRank == 1 ? "SpatialDropout1D" : "SpatialDropout2D" }
    public var name: String
    public let rate: Float
    public let inputSpec: InputSpec?
    let spatialRank: Int
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var active = false
    private var kept: [UInt8] = []

    init(spatialRank: Int, rate: Float, inputShape: [Int]?, name: String) {
        self.spatialRank = spatialRank
        self.rate = rate
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard rate >= 0 && rate <= 1 else {
            throw StrataError.invalidModel(layer: name, "rate must be in [0, 1], got \(rate)", hint: "use e.g. \(className)(0.2)")
        }
        guard inputShape.count == spatialRank + 1 else {
            throw StrataError.invalidModel(
                layer: name, "\(className) needs samples of rank \(spatialRank + 1) (channels last), got \(inputShape)",
                hint: spatialRank == 1 ? "use it after Conv1D or a recurrent layer" : "use it after Conv2D")
        }
        return inputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        active = context.training && rate > 0
        guard active else { return x }
        let channels = x.shape.last ?? 1
        let mask = Dropout.Mask(rate: rate, context: context, rowSize: channels)
        let y = context.output(over: x, workspace: &workspace, slot: .output)
        if kept.count < x.count { kept = [UInt8](repeating: 0, count: x.count) }
        Kernels.spatialDropout(x, into: y, mask: mask, rowSize: x.rowSize, channels: channels, recording: &kept)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        guard active else { return dy }
        let dx = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .inputGradient)
        Kernels.maskedGradient(dy, into: dx, scale: rate < 1 ? 1 / (1 - rate) : 0, recorded: kept)
        return dx
    }

    public var config: [String: JSONValue] { ["rate": JSONValue(rate)] }

    /// The shared config reading (`seed` is Keras's own RNG's: accepted, unused, as Dropout's).
    static func rate(_ c: LayerConfig, spatialRank: Int) throws -> Float {
        try c.checkArguments(["rate", "seed"], unsupported: spatialRank == 2 ? [LayerConfig.channelsLast] : [])
        guard let r = try c.double("rate") else { throw c.fail("rate", "a number in [0, 1] (it is required)") }
        return Float(r)
    }
}

/// Keras `SpatialDropout1D(rate)`: one mask value per (sample, channel) of `(steps, channels)` samples.
public final class SpatialDropout1D: SpatialDropout, ConfigurableLayer {
    public static let kerasClassName = "SpatialDropout1D"
    public init(_ rate: Float, inputShape: [Int]? = nil, name: String = "") {
        super.init(spatialRank: 1, rate: rate, inputShape: inputShape, name: name)
    }
    public convenience init(config c: LayerConfig) throws {
        self.init(try SpatialDropout.rate(c, spatialRank: 1), inputShape: try c.inputArguments().inputShape)
    }
}

/// Keras `SpatialDropout2D(rate)`: one mask value per (sample, channel) of `(height, width, channels)` samples.
public final class SpatialDropout2D: SpatialDropout, ConfigurableLayer {
    public static let kerasClassName = "SpatialDropout2D"
    public init(_ rate: Float, inputShape: [Int]? = nil, name: String = "") {
        super.init(spatialRank: 2, rate: rate, inputShape: inputShape, name: name)
    }
    public convenience init(config c: LayerConfig) throws {
        self.init(try SpatialDropout.rate(c, spatialRank: 2), inputShape: try c.inputArguments().inputShape)
    }
}
