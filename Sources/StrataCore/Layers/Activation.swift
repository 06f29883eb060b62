/// Keras `Activation(fn)`: applies an activation function elementwise (softmax over the last axis).
public final class Activation: LogitsProducing {
    public let className = "Activation"
    public var name: String
    public let inputSpec: InputSpec?
    private let parsed: Result<ActivationFunction, StrataError>
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var lastX: Tensor?
    private var lastY: Tensor?

    /// `Activation(.relu)`.
    public init(_ function: ActivationFunction, inputShape: [Int]? = nil, name: String = "") {
        parsed = .success(function)
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    /// `Activation("relu")`, as in the Keras guide; an unknown name is an error when the model is built.
    public init(_ kerasName: String, inputShape: [Int]? = nil, name: String = "") {
        do { parsed = .success(try ActivationFunction(kerasName: kerasName)) } catch let e as StrataError {
            parsed = .failure(e)
        } catch { parsed = .failure(.invalidArgument("\(error)", hint: "")) }
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var function: ActivationFunction { (try? parsed.get()) ?? .linear }
    public var outputActivation: ActivationFunction { function }
    public var logits: Tensor { lastX! }
    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if case let .failure(e) = parsed {
            throw StrataError.invalidModel(layer: name, e.localizedDescription, hint: "")
        }
        return inputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        lastX = x
        let y = workspace.buffer(.output, x.shape)
        function.apply(x, into: y)
        lastY = y
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let dx = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .inputGradient)
        function.gradient(x: lastX!, y: lastY!, dy: dy, into: dx)
        return dx
    }

    public func backward(fromLogits dz: Tensor, context: LayerContext) -> Tensor { dz }

    public var config: [String: JSONValue] { ["activation": .string(function.kerasName)] }
}

extension Activation: ConfigurableLayer {
    public static let kerasClassName = "Activation"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["activation"])
        self.init(try c.activation(), inputShape: try c.inputArguments().inputShape)
    }
}
