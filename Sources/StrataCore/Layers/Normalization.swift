/// Keras `Normalization(axis=-1, mean=None, variance=None, invert=False)`
/// (keras/src/layers/preprocessing/normalization.py): `y = (x - mean) / max(sqrt(variance), 1e-7)` (with `invert`,
/// `y = mean + x * max(sqrt(variance), 1e-7)`), the statistics per position of the kept `axis` (batch axis
/// counted, as in Keras; `nil` keeps none: one mean and variance), broadcast over the others.
///
/// Given `mean` and `variance`, the layer has no weights (they live in its config). Otherwise it has Keras's three
/// non-trainable weights `mean`, `variance` and `count` (Keras 3 leaves `count` at 0), set by `adapt` before the
/// model is built: `adapt` computes the population mean and variance over the data of EVERY rank (each passes its
/// shard and the communicator), so 1 and N ranks adapt to the same numbers.
public final class Normalization: Layer, PresetWeights {
    public let className = "Normalization"
    public var name: String
    /// Kept axes as given (batch axis is 0); nil keeps none.
    public let axis: [Int]?
    public let invert: Bool
    public let inputSpec: InputSpec?
    /// The given statistics (one value each, or one per kept position).
    public let givenMean: [Float]?
    public let givenVariance: [Float]?
    /// The statistics `adapt` computed (used to initialise the weights at build).
    public private(set) var adaptedMean: [Float]?
    public private(set) var adaptedVariance: [Float]?
    public private(set) var weightHandles: [ParameterHandle] = []
    private var statsShape: [Int] = []
    private var statsIndex: [Int32] = []
    private var core = ElementwiseCore()
    /// The statistics the last `forward` used (from the config, or the weights).
    private var mean: Tensor?
    private var variance: Tensor?

    public init(
        axis: [Int]? = [-1], mean: [Float]? = nil, variance: [Float]? = nil, invert: Bool = false, inputShape: [Int]? = nil,
        name: String = ""
    ) {
        self.axis = axis
        givenMean = mean
        givenVariance = variance
        self.invert = invert
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    /// The sample axes kept (0-based, batch excluded) for samples of `inputShape`.
    private func keptAxes(_ inputShape: [Int]) throws -> [Int] {
        let rank = inputShape.count + 1
        return try (axis ?? []).map { a in
            let d = a < 0 ? a + rank : a
            guard d >= 1 && d < rank else {
                throw StrataError.invalidModel(
                    layer: name, "axis \(a) is not a feature axis of an input of rank \(rank) (batch included)",
                    hint: "keep axes in 1..<\(rank) or -\(rank - 1)...-1 (the batch axis is always reduced)")
            }
            return d - 1
        }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        let kept = try keptAxes(inputShape)
        statsShape = inputShape.enumerated().map { kept.contains($0.offset) ? $0.element : 1 }
        statsIndex = ElementwiseCore.broadcastIndex(inputShape: inputShape, to: statsShape)
        let n = statsShape.reduce(1, *)
        let keptShape = kept.sorted().map { inputShape[$0] }
        if (givenMean == nil) != (givenVariance == nil) {
            throw StrataError.invalidModel(
                layer: name, "mean and variance must be given together", hint: "give both, or neither and call adapt")
        }
        if let m = givenMean, let v = givenVariance {
            for (key, values) in [("mean", m), ("variance", v)] where values.count != 1 && values.count != n {
                throw StrataError.invalidModel(
                    layer: name, "\(key) has \(values.count) values, the kept axes \(keptShape) need \(n) (or 1)",
                    hint: "give one value per position of the kept axes")
            }
            mean = try Tensor(shape: [n], scalars: m.count == 1 ? [Float](repeating: m[0], count: n) : m)
            variance = try Tensor(shape: [n], scalars: v.count == 1 ? [Float](repeating: v[0], count: n) : v)
            weightHandles = []
            return inputShape
        }
        if let m = adaptedMean, m.count != n {
            throw StrataError.invalidModel(
                layer: name, "adapt saw \(m.count) statistics, the model's input needs \(n)",
                hint: "adapt on data of the model's input shape")
        }
        weightHandles = [
            weights.add("mean", shape: keptShape, initializer: .zeros, trainable: false),
            weights.add("variance", shape: keptShape, initializer: .ones, trainable: false),
            weights.add("count", shape: [], initializer: .zeros, trainable: false),
        ]
        return inputShape
    }

    /// Keras `adapt(data)`: the population mean and variance of `data` (`[rows] + sample shape`) over every axis but
    /// the kept ones, over ALL ranks' rows (each rank passes its shard; one process passes everything). Call it
    /// before the model is built; the model's weights then start from these statistics.
    public func adapt(_ data: Tensor, communicator: Communicator = SingleProcess()) throws {
        try adapt(sampleShape: Array(data.shape.dropFirst()), communicator: communicator) { visit in try visit(data) }
    }

    /// `adapt` over rows `rows` of `data` (this rank's shard; every rank calls it with its own), read `chunkRows`
    /// at a time so memory stays bounded: the same statistics as `adapt(_:)` on those rows of every rank.
    public func adapt(_ data: Dataset, rows: Range<Int>, communicator: Communicator = SingleProcess(), chunkRows: Int = 1024) throws {
        let sample = data.xShape
        try adapt(sampleShape: sample, communicator: communicator) { visit in
            var start = rows.lowerBound
            while start < rows.upperBound {
                let end = min(start + max(chunkRows, 1), rows.upperBound)
                let x = Tensor(zeros: [end - start] + sample)
                try data.read(Array(start..<end)[...], x: x, y: nil)
                try visit(x)
                start = end
            }
        }
    }

    /// The population mean and variance per kept position over every chunk `chunks` visits, on every rank. Two
    /// passes, each one all-reduce: sums and counts, then squared deviations from the global mean.
    private func adapt(
        sampleShape sample: [Int], communicator: Communicator, chunks: ((Tensor) throws -> Void) throws -> Void
    ) throws {
        let kept = try keptAxes(sample)
        let shape = sample.enumerated().map { kept.contains($0.offset) ? $0.element : 1 }
        let index = ElementwiseCore.broadcastIndex(inputShape: sample, to: shape)
        let n = shape.reduce(1, *)
        func total(_ center: [Double]?) throws -> [Double] {
            var sums = [Double](repeating: 0, count: n + 1)
            try chunks { x in
                for (g, v) in Kernels.groupSums(x, index: index, groups: n, center: center).enumerated() { sums[g] += v }
                sums[n] += Double(x.count / max(n, 1))
            }
            try communicator.allReduceSum(&sums)
            return sums
        }
        var sums = try total(nil)
        let count = sums.removeLast()
        guard count > 0 else {
            throw StrataError.invalidData("Normalization.adapt got no rows on any rank", hint: "pass the training data")
        }
        let m = sums.map { $0 / count }
        let squares = try total(m).dropLast()
        adaptedMean = m.map { Float($0) }
        adaptedVariance = squares.map { Float($0 / count) }
    }

    /// The adapted statistics become the weights' starting values (after the model initialised them).
    public func presetWeights(_ p: Parameters) {
        guard weightHandles.count == 3, let m = adaptedMean, let v = adaptedVariance else { return }
        for (h, values) in zip(weightHandles, [m, v]) {
            let t = p.value(h)
            for i in 0..<min(t.count, values.count) { t[flat: i] = values[i] }
        }
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let m = weightHandles.isEmpty ? mean! : p.value(weightHandles[0]), v = weightHandles.isEmpty ? variance! : p.value(weightHandles[1])
        let (mp, sp) = (m.scalars, v.scalars.map { max($0.squareRoot(), 1e-7) })
        let index = statsIndex, perSample = index.count, inv = invert
        var j = 0
        let y = core.forward(x) { value in
            let k = Int(index[j % perSample])
            j += 1
            return inv ? mp[k] + value * sp[k] : (value - mp[k]) / sp[k]
        }
        (mean, variance) = (m, v)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let sp = variance!.scalars.map { max($0.squareRoot(), 1e-7) }
        let index = statsIndex, perSample = index.count, inv = invert
        var j = 0
        return core.backward(dy, context: context) { _, _, g in
            let k = Int(index[j % perSample])
            j += 1
            return inv ? g * sp[k] : g / sp[k]
        }
    }

    public var config: [String: JSONValue] {
        var c: [String: JSONValue] = [
            "axis": axis.map { JSONValue($0) } ?? .null, "invert": .bool(invert),
            "mean": .null, "variance": .null,
        ]
        if let m = givenMean, let v = givenVariance {
            c["mean"] = .array(m.map { JSONValue($0) })
            c["variance"] = .array(v.map { JSONValue($0) })
        }
        return c
    }
}

extension Normalization: ConfigurableLayer {
    public static let kerasClassName = "Normalization"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["axis", "mean", "variance", "invert"])
        func floats(_ key: String) throws -> [Float]? {
            guard let v = c.values[key], v != .null else { return nil }
            if let d = v.doubleValue { return [Float(d)] }
            guard let a = v.arrayValue?.compactMap(\.doubleValue), a.count == v.arrayValue?.count else {
                throw c.fail(key, "a number or a list of numbers")
            }
            return a.map { Float($0) }
        }
        let axis: [Int]? = c.values["axis"] == .null ? nil : try c.ints("axis") ?? [-1]
        self.init(
            axis: axis, mean: try floats("mean"), variance: try floats("variance"), invert: try c.bool("invert") ?? false,
            inputShape: try c.inputArguments().inputShape)
    }
}
