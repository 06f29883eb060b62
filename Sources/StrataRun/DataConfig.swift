import Foundation
import StrataCore

/// The `data` section: HDF5 files for train / validation / test, or a synthetic generator like the Keras guide's
/// (`np.random.random` inputs, `randint` classes), plus declared transforms (`rescale`, `reshape`, `one_hot`).
public struct DataConfig {
    public struct FileSource: Equatable {
        public var file: String
        public var x: String
        public var y: String?
        /// Keras's `sample_weight`: a dataset of one weight per sample in the same file (train and validation).
        public var sampleWeight: String?
        public init(file: String, x: String, y: String?, sampleWeight: String? = nil) {
            self.file = file; self.x = x; self.y = y; self.sampleWeight = sampleWeight
        }
    }
    public struct Synthetic: Equatable {
        public var seed: UInt64 = 1
        public var xShape: [Int] = []
        /// Integer ids in [0, n) instead of uniform floats (for Embedding inputs).
        public var xIntegers: Int?
        /// Class count for targets; with `oneHot` they are one-hot rows, else ids of shape (1).
        public var classes: Int?
        public var oneHot = false
        /// Uniform targets of this shape (the guide's stacked-LSTM example uses random targets).
        public var yUniform: [Int]?
        public var counts: [String: Int] = [:]
    }
    public struct Transforms: Equatable {
        public var rescale: Float?
        public var reshape: [Int]?
        public var oneHot: Int?
        public init(rescale: Float? = nil, reshape: [Int]? = nil, oneHot: Int? = nil) {
            self.rescale = rescale
            self.reshape = reshape
            self.oneHot = oneHot
        }
    }

    public var sources: [String: FileSource] = [:]
    public var synthetic: Synthetic?
    public var xTransforms = Transforms()
    public var yTransforms = Transforms()

    public init() {}

    init(_ node: ConfigNode, file: String) throws {
        let m = try RunConfig.map(node, "data", file: file, allowed: ["train", "validation", "test", "transforms", "synthetic"])
        for role in ["train", "validation", "test"] {
            guard let s = m[role] else { continue }
            let f = try RunConfig.map(s, "data.\(role)", file: file, allowed: ["file", "x", "y", "sample_weight"])
            guard let path = f["file"], let x = f["x"] else {
                throw ConfigError(
                    file: file, line: s.line, "data.\(role) needs file: and x: (and y: for training)",
                    hint: "e.g. \(role): {file: configs/data/mnist-5k.h5, x: x_train, y: y_train}")
            }
            sources[role] = FileSource(
                file: try RunConfig.string(path, "data.\(role).file", file: file),
                x: try RunConfig.string(x, "data.\(role).x", file: file),
                y: try f["y"].map { try RunConfig.string($0, "data.\(role).y", file: file) },
                sampleWeight: try f["sample_weight"].map { try RunConfig.string($0, "data.\(role).sample_weight", file: file) })
        }
        if let t = m["transforms"] {
            let tm = try RunConfig.map(t, "data.transforms", file: file, allowed: ["x", "y"])
            if let x = tm["x"] { xTransforms = try Self.transforms(x, "data.transforms.x", file: file) }
            if let y = tm["y"] { yTransforms = try Self.transforms(y, "data.transforms.y", file: file) }
        }
        if let s = m["synthetic"] {
            if !sources.isEmpty {
                throw ConfigError(file: file, line: s.line, "data has both files and synthetic:", hint: "use one of them")
            }
            let sm = try RunConfig.map(s, "data.synthetic", file: file, allowed: ["seed", "x", "y", "train", "validation", "test"])
            var syn = Synthetic()
            if let v = sm["seed"] { syn.seed = UInt64(try RunConfig.int(v, "data.synthetic.seed", file: file, min: 0)) }
            guard let x = sm["x"] else {
                throw ConfigError(file: file, line: s.line, "data.synthetic needs x: {shape: [...]}", hint: "e.g. x: {shape: [20]}")
            }
            let xm = try RunConfig.map(x, "data.synthetic.x", file: file, allowed: ["shape", "integers"])
            guard let shape = xm["shape"]?.json.arrayValue?.compactMap(\.intValue), !shape.isEmpty else {
                throw ConfigError(file: file, line: x.line, "data.synthetic.x.shape must be a list of integers", hint: "e.g. shape: [20]")
            }
            syn.xShape = shape
            if let i = xm["integers"] { syn.xIntegers = try RunConfig.int(i, "data.synthetic.x.integers", file: file, min: 1) }
            if let y = sm["y"] {
                let ym = try RunConfig.map(y, "data.synthetic.y", file: file, allowed: ["classes", "one_hot", "uniform"])
                if let c = ym["classes"] { syn.classes = try RunConfig.int(c, "data.synthetic.y.classes", file: file, min: 2) }
                if let o = ym["one_hot"] { syn.oneHot = try RunConfig.bool(o, "data.synthetic.y.one_hot", file: file) }
                if let u = ym["uniform"] {
                    guard let us = u.json.arrayValue?.compactMap(\.intValue), !us.isEmpty else {
                        throw ConfigError(file: file, line: u.line, "data.synthetic.y.uniform must be a shape", hint: "e.g. uniform: [10]")
                    }
                    syn.yUniform = us
                }
                if syn.classes == nil && syn.yUniform == nil {
                    throw ConfigError(
                        file: file, line: y.line, "data.synthetic.y needs classes: or uniform:",
                        hint: "e.g. y: {classes: 10, one_hot: true}")
                }
            } else {
                throw ConfigError(file: file, line: s.line, "data.synthetic needs y:", hint: "e.g. y: {classes: 2}")
            }
            for role in ["train", "validation", "test"] {
                if let c = sm[role] { syn.counts[role] = try RunConfig.int(c, "data.synthetic.\(role)", file: file, min: 1) }
            }
            guard syn.counts["train"] != nil else {
                throw ConfigError(file: file, line: s.line, "data.synthetic needs train: (a sample count)", hint: "e.g. train: 1000")
            }
            synthetic = syn
        }
        if sources["train"] == nil && synthetic == nil {
            throw ConfigError(file: file, line: node.line, "data needs train: {file:, x:, y:} or synthetic:", hint: "")
        }
    }

    static func transforms(_ n: ConfigNode, _ what: String, file: String) throws -> Transforms {
        let m = try RunConfig.map(n, what, file: file, allowed: ["rescale", "reshape", "one_hot"])
        var t = Transforms()
        if let r = m["rescale"] { t.rescale = Float(try RunConfig.number(r, "\(what).rescale", file: file)) }
        if let r = m["reshape"] {
            guard let s = r.json.arrayValue?.compactMap(\.intValue), !s.isEmpty else {
                throw ConfigError(file: file, line: r.line, "\(what).reshape must be a list of integers", hint: "e.g. reshape: [28, 28, 1]")
            }
            t.reshape = s
        }
        if let o = m["one_hot"] { t.oneHot = try RunConfig.int(o, "\(what).one_hot", file: file, min: 2) }
        return t
    }

    /// The synthetic dataset for `role` (train, validation or test), or nil.
    public func syntheticDataset(_ role: String) throws -> Dataset? {
        guard let s = synthetic, let n = s.counts[role] else { return nil }
        let offset: UInt64 = role == "train" ? 0 : role == "validation" ? 1 : 2
        let gen = RandomData(seed: s.seed &* 3 &+ offset)
        let x: Tensor
        if let k = s.xIntegers { x = gen.integerTensor(k, shape: [n] + s.xShape) } else { x = gen.uniform([n] + s.xShape) }
        let y: Tensor
        if let u = s.yUniform {
            y = gen.uniform([n] + u)
        } else if s.oneHot {
            y = try toCategorical(gen.integers(s.classes!, count: n), numClasses: s.classes!)
        } else {
            y = gen.integerTensor(s.classes!, shape: [n, 1])
        }
        return TensorDataset(x: x, y: y, label: "synthetic \(role) data")
    }
}

/// A dataset whose rows pass through declared transforms as they are read: `rescale` and `reshape` on x and y
/// (an autoencoder's targets are its images), y `one_hot` (class ids to one-hot rows). Sample shapes are the
/// transformed ones.
public struct TransformedDataset: Dataset {
    public let base: Dataset
    public let x: DataConfig.Transforms
    public let y: DataConfig.Transforms

    public init(_ base: Dataset, x: DataConfig.Transforms, y: DataConfig.Transforms) throws {
        self.base = base
        self.x = x
        self.y = y
        if let r = x.reshape, r.reduce(1, *) != base.xShape.reduce(1, *) {
            throw StrataError.invalidData(
                "\(base.label): cannot reshape samples of shape \(base.xShape) to \(r)",
                hint: "the reshape must keep \(base.xShape.reduce(1, *)) values per sample")
        }
        if let r = y.reshape, let ys = base.yShape, r.reduce(1, *) != ys.reduce(1, *) || y.oneHot != nil {
            throw StrataError.invalidData(
                "\(base.label): cannot reshape targets of shape \(ys) to \(r)\(y.oneHot != nil ? " after one_hot" : "")",
                hint: "the reshape must keep \(ys.reduce(1, *)) values per sample (and is not combined with one_hot)")
        }
        if y.oneHot != nil, let ys = base.yShape, ys.reduce(1, *) != 1 {
            throw StrataError.invalidData(
                "\(base.label): one_hot needs one class id per sample, targets have shape \(ys)",
                hint: "remove one_hot, or point y at integer labels")
        }
    }

    public var count: Int { base.count }
    public var xShape: [Int] { x.reshape ?? base.xShape }
    public var yShape: [Int]? { y.oneHot.map { [$0] } ?? y.reshape ?? base.yShape }
    public var label: String { base.label }

    public func read(_ indices: ArraySlice<Int>, x xOut: Tensor, y yOut: Tensor?) throws {
        let rawX = try xOut.reshaped([indices.count] + base.xShape)
        var rawY: Tensor?
        if let yOut, let ys = base.yShape {
            rawY = y.oneHot == nil ? try yOut.reshaped([indices.count] + ys) : Tensor(zeros: [indices.count] + ys)
        }
        try base.read(indices, x: rawX, y: rawY)
        if let s = x.rescale { BLAS.scal(xOut, s) }
        if let s = y.rescale, let yOut, y.oneHot == nil { BLAS.scal(yOut, s) }
        if let classes = y.oneHot, let yOut, let rawY {
            yOut.fill(0)
            for (r, sample) in indices.enumerated() {
                let v = rawY[flat: r]
                guard v == v.rounded(), v >= 0, Int(v) < classes else {
                    throw StrataError.invalidData(
                        "\(base.label): label \(v) of sample \(sample) is not a class id in [0, \(classes))",
                        hint: "one_hot: \(classes) needs integer labels below \(classes)")
                }
                yOut[flat: r * classes + Int(v)] = 1
            }
        }
    }

    public func validateValues() throws { try base.validateValues() }
}
