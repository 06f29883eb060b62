/// Keras `Masking(mask_value=0.0)` (keras/src/layers/core/masking.py): a timestep whose features all equal
/// `maskValue` is masked, so the recurrent layers downstream skip it:
///
///     mask[b, t] = any(x[b, t, :] != mask_value),    y = x * mask
///
/// The output carries `mask` (`MaskPropagating`); the gradient is `dy * mask`.
public final class Masking: Layer, MaskPropagating {
    public let className = "Masking"
    public var name: String
    public let maskValue: Float
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    enum Slot { case output, mask, inputGradient }
    private var workspace = Workspace<Slot>()
    private var lastMask: Tensor?
    private var features = 0

    public init(maskValue: Float = 0, inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = "") {
        self.maskValue = maskValue
        self.name = name
        switch InputSpec.resolve(
            layer: name.isEmpty ? "Masking" : name, inputShape: inputShape, inputDim: nil, batchSize: batchSize,
            batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        guard inputShape.count >= 2 else {
            throw StrataError.invalidModel(
                layer: name, "Masking needs inputs of shape (timesteps, features), got \(inputShape)",
                hint: "a timestep is masked when all its features equal maskValue; give inputShape: [timesteps, features]")
        }
        features = inputShape.last!
        return inputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let mask = workspace.buffer(.mask, Array(x.shape.dropLast()))
        let y = context.mayOverwriteInput ? x : workspace.buffer(.output, x.shape)
        Kernels.maskingRows(x, width: features, value: maskValue, into: y, mask: mask)
        lastMask = mask
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let dx = workspace.buffer(.inputGradient, dy.shape)
        dx.assign(dy)
        Kernels.scaleSteps(dx, rows: lastMask!.count, steps: 1, width: features, timeMajor: true, by: lastMask!)
        return dx
    }

    public var backwardReadsOutput: Bool { false }

    public func outputMask(inputMask: Tensor?) -> Tensor? { lastMask }
    public func carriesMask(inputCarriesMask: Bool) -> Bool { true }

    public var config: [String: JSONValue] { ["mask_value": JSONValue(Double(maskValue))] }
}

extension Masking: ConfigurableLayer {
    public static let kerasClassName = "Masking"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["mask_value"])
        let io = try c.inputArguments()
        self.init(
            maskValue: Float(try c.double("mask_value") ?? 0), inputShape: io.inputShape, batchSize: io.batchSize,
            batchInputShape: io.batchInputShape)
    }
}
