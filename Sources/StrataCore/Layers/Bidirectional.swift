/// A recurrent layer (LSTM, GRU, SimpleRNN) the `Bidirectional` wrapper can copy: the same settings, another
/// name and direction (Keras rebuilds both directions from the wrapped layer's config).
protocol MirrorableRecurrentLayer: RecurrentLayer {
    var core: RecurrentCore { get }
    func mirrored(goBackwards: Bool, name: String) -> RecurrentLayer
}

/// Keras `Bidirectional(layer, merge_mode="concat")` (keras/src/layers/rnn/bidirectional.py): the wrapped LSTM,
/// GRU or SimpleRNN runs forward over the sequence (`forward_<name>`) and a copy runs backward
/// (`backward_<name>`, `go_backwards=True`); with `return_sequences` the backward output is put back in time order.
///
///     y = concat(f, b) | f + b | f * b | (f + b) / 2        (merge_mode concat, sum, mul, ave)
///
/// Weights: the forward layer's then the backward layer's (Keras's order in `.h5` files), named
/// `forward_<name>/kernel` ... With a timestep mask both directions skip the masked steps and, with
/// `return_sequences`, output zeros there (Keras sets both layers' `zero_output_for_mask` to `return_sequences`).
/// `merge_mode=None` (two outputs), a different `backward_layer` and stateful layers are refused.
public final class Bidirectional: Layer, MaskPropagating {
    public enum MergeMode: String, Sendable { case concat, sum, mul, ave }

    public let className = "Bidirectional"
    public var name: String
    public let forwardLayer: RecurrentLayer
    public let backwardLayer: RecurrentLayer
    public let mergeMode: MergeMode
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    enum Slot { case output, forwardGradient, backwardGradient }
    private var workspace = Workspace<Slot>()
    private var lastForward: Tensor?
    private var lastBackward: Tensor?
    private var steps = 1

    /// `layer`'s own input shape, if it has one, is the wrapper's (Keras puts it on either).
    public init(
        _ layer: RecurrentLayer, mergeMode: MergeMode = .concat, inputShape: [Int]? = nil, batchSize: Int? = nil,
        batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.name = name
        self.mergeMode = mergeMode
        let base = layer.name.isEmpty ? layer.nameStem : layer.name
        let stem = base.hasPrefix("forward_") ? String(base.dropFirst("forward_".count)) : base
        var error: StrataError?
        if let m = layer as? MirrorableRecurrentLayer {
            forwardLayer = m.mirrored(goBackwards: m.core.goBackwards, name: "forward_" + stem)
            backwardLayer = m.mirrored(goBackwards: true, name: "backward_" + stem)
            for l in [forwardLayer, backwardLayer] { (l as? MirrorableRecurrentLayer)?.core.zeroOutputForMask = layer.returnSequences }
            if m.core.goBackwards {
                error = .invalidModel(
                    layer: name.isEmpty ? "Bidirectional" : name, "the wrapped \(layer.className) has goBackwards: true",
                    hint: "wrap a forward layer: Bidirectional runs the backward copy itself")
            } else if m.core.stateful {
                error = .invalidModel(
                    layer: name.isEmpty ? "Bidirectional" : name, "a stateful Bidirectional layer is not supported",
                    hint: "use stateful: false inside Bidirectional, or a stateful single-direction layer")
            }
        } else {
            forwardLayer = layer
            backwardLayer = layer
            error = .invalidModel(
                layer: name.isEmpty ? "Bidirectional" : name, "Bidirectional wraps LSTM, GRU or SimpleRNN, got \(layer.className)",
                hint: "wrap one of LSTM, GRU, SimpleRNN")
        }
        let resolved = InputSpec.resolve(
            layer: name.isEmpty ? "Bidirectional" : name, inputShape: inputShape, inputDim: nil, batchSize: batchSize,
            batchInputShape: batchInputShape)
        switch resolved {
        case let .success(s): inputSpec = s ?? layer.inputSpec; inputError = error ?? layer.inputError
        case let .failure(e): inputSpec = nil; inputError = error ?? e
        }
    }

    public var returnSequences: Bool { forwardLayer.returnSequences }
    public var weightHandles: [ParameterHandle] { forwardLayer.weightHandles + backwardLayer.weightHandles }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        let prefix = weights.namePrefix
        defer { weights.namePrefix = prefix }
        var out: [Int] = []
        for l in [forwardLayer, backwardLayer] {
            weights.namePrefix = prefix + l.name + "/"
            out = try l.build(inputShape: inputShape, weights: &weights)
        }
        steps = returnSequences ? inputShape[0] : 1
        if mergeMode == .concat { out[out.count - 1] *= 2 }
        return out
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        var c = context
        c.mayOverwriteInput = false  // both directions read x
        let f = forwardLayer.forward(x, context: c)
        c.layerIndex = Self.backwardIndex(context.layerIndex)
        let b = backwardLayer.forward(x, context: c)
        lastForward = f
        lastBackward = b
        let n = x.shape[0], u = forwardLayer.units
        let y = workspace.buffer(.output, returnSequences ? [n, steps, width] : [n, width])
        Kernels.mergeBidirectional(f, b, rows: n, steps: steps, units: u, reverse: returnSequences, mode: mergeMode, into: y)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let f = lastForward!, b = lastBackward!
        let n = dy.shape[0], u = forwardLayer.units
        let df = workspace.buffer(.forwardGradient, f.shape), db = workspace.buffer(.backwardGradient, b.shape)
        Kernels.splitBidirectional(dy, f, b, rows: n, steps: steps, units: u, reverse: returnSequences, mode: mergeMode, df: df, db: db)
        let dxForward = forwardLayer.backward(df, context: context)
        var c = context
        c.layerIndex = Self.backwardIndex(context.layerIndex)
        let dxBackward = backwardLayer.backward(db, context: c)
        if context.needsInputGradient { Kernels.add(dxBackward, into: dxForward, count: dxForward.count) }
        return dxForward
    }

    /// The backward direction draws its own dropout masks (keyed by another layer index than the forward one's).
    private static func backwardIndex(_ i: Int) -> Int { i | (1 << 24) }

    private var width: Int { mergeMode == .concat ? 2 * forwardLayer.units : forwardLayer.units }

    public func outputMask(inputMask: Tensor?) -> Tensor? { returnSequences ? inputMask : nil }
    public func carriesMask(inputCarriesMask: Bool) -> Bool { returnSequences && inputCarriesMask }

    public var config: [String: JSONValue] {
        [
            "merge_mode": .string(mergeMode.rawValue),
            "layer": NestedLayerConfig.json(forwardLayer), "backward_layer": NestedLayerConfig.json(backwardLayer),
        ]
    }
}

extension Bidirectional: ConfigurableLayer {
    public static let kerasClassName = "Bidirectional"
    /// Keras writes `backward_layer` too: it is accepted when it is the mirror of `layer` (the same config but
    /// its name, `go_backwards` and `zero_output_for_mask`), which is what Keras makes without one.
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(
            ["layer", "merge_mode", "backward_layer"],
            unsupported: [UnsupportedArgument("weights", hint: "load weights from the model file instead")])
        let layer = try NestedLayerConfig.make("layer", of: c, example: "{class_name: LSTM, config: {units: 32}}")
        guard let recurrent = layer as? RecurrentLayer else {
            throw StrataError.invalidModel(
                layer: c.layerName, "Bidirectional wraps LSTM, GRU or SimpleRNN, got \(layer.className)",
                hint: "wrap one of LSTM, GRU, SimpleRNN")
        }
        let cls = layer.className, ic = c.values["layer"]?["config"]?.objectValue ?? [:]
        let mode: MergeMode
        switch c.values["merge_mode"] {
        case nil: mode = .concat
        case .null?:
            throw StrataError.invalidModel(
                layer: c.layerName, "merge_mode None gives two outputs, which a Sequential model cannot pass on",
                hint: "use merge_mode concat, sum, mul or ave")
        default:
            let s = try c.string("merge_mode") ?? "concat"
            guard let m = MergeMode(rawValue: s) else {
                throw c.fail("merge_mode", "one of concat, sum, mul, ave")
            }
            mode = m
        }
        if let back = c.values["backward_layer"], back != .null {
            let ignored: Set<String> = ["name", "go_backwards", "zero_output_for_mask"]
            let mirror =
                back["class_name"]?.stringValue == cls
                && back["config"]?["go_backwards"]?.boolValue == true
                && (back["config"]?.objectValue ?? [:]).filter { !ignored.contains($0.key) } == ic.filter { !ignored.contains($0.key) }
            if !mirror {
                throw StrataError.invalidModel(
                    layer: c.layerName, "backward_layer differs from the mirror of 'layer'",
                    hint: "Strata's backward layer is the mirror of 'layer' (go_backwards: true); remove backward_layer")
            }
        }
        let io = try c.inputArguments()
        self.init(recurrent, mergeMode: mode, inputShape: io.inputShape, batchSize: io.batchSize, batchInputShape: io.batchInputShape)
    }
}
