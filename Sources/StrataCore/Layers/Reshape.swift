/// Keras `Reshape(target_shape)`: C-order reshape of each sample to `targetShape` (a view; no copy). One entry
/// may be -1, inferred from the sample size (keras/src/layers/reshaping/reshape.py).
public final class Reshape: Layer {
    public let className = "Reshape"
    public var name: String
    public let targetShape: [Int]
    public let inputSpec: InputSpec?
    private var inputShape: [Int] = []
    private var outputShape: [Int] = []

    public init(_ targetShape: [Int], inputShape: [Int]? = nil, name: String = "") {
        self.targetShape = targetShape
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        let size = inputShape.reduce(1, *)
        let unknown = targetShape.indices.filter { targetShape[$0] == -1 }
        guard unknown.count <= 1, targetShape.allSatisfy({ $0 > 0 || $0 == -1 }) else {
            throw StrataError.invalidModel(
                layer: name, "target shape \(targetShape) may hold positive sizes and at most one -1",
                hint: "e.g. Reshape([-1, 8])")
        }
        let known = targetShape.filter { $0 > 0 }.reduce(1, *)
        var out = targetShape
        if let u = unknown.first {
            guard size % known == 0 else {
                throw StrataError.invalidModel(
                    layer: name,
                    "cannot reshape samples of shape \(inputShape) (\(size) values) to \(targetShape): \(size) is not a multiple of \(known)",
                    hint: "choose a target shape whose known sizes divide \(size)")
            }
            out[u] = size / known
        }
        guard out.reduce(1, *) == size else {
            throw StrataError.invalidModel(
                layer: name,
                "cannot reshape samples of shape \(inputShape) (\(size) values) to \(targetShape) (\(out.reduce(1, *)) values)",
                hint: "the target shape must hold the same number of values")
        }
        self.inputShape = inputShape
        outputShape = out
        return out
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { x.view([x.shape.first ?? 0] + outputShape) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { dy.view([dy.shape.first ?? 0] + inputShape) }

    public var config: [String: JSONValue] { ["target_shape": JSONValue(targetShape)] }
}

extension Reshape: ConfigurableLayer {
    public static let kerasClassName = "Reshape"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["target_shape"])
        guard let t = try c.ints("target_shape") else { throw c.fail("target_shape", "a list of integers (it is required)") }
        self.init(t, inputShape: try c.inputArguments().inputShape)
    }
}
