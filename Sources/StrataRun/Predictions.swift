import Foundation
import Strata

/// `strata predict`: a model file's predictions for an HDF5 dataset, written to an HDF5 file atomically.
public enum Predictions {
    /// Predicts `input` (`FILE.h5:DATASET`) with the model in `checkpoint` and writes them to `output` (rank 0).
    /// The model is loaded for its weights alone (no compile, no optimizer state), so optimizer settings never
    /// matter here. `configPath`: a config whose `data.transforms.x` to apply. `batchSize` defaults to the model's
    /// fixed batch size when it has one (a stateful model), else 128.
    @discardableResult
    public static func run(
        checkpoint: String, input: String, output: String, configPath: String? = nil,
        batchSize: Int? = nil, communicator: Communicator
    ) throws -> Tensor {
        guard let colon = input.lastIndex(of: ":") else {
            throw StrataError.invalidArgument("--input must be FILE.h5:DATASET, got '\(input)'", hint: "e.g. --input data.h5:x_test")
        }
        var data: Dataset = try HDF5Dataset(path: String(input[..<colon]), x: String(input[input.index(after: colon)...]))
        if let configPath {
            let c = try RunConfig.load(configPath)
            data = try TransformedDataset(data, x: c.data.xTransforms, y: DataConfig.Transforms())
        }
        let model = try Sequential.load(checkpoint, compile: false)
        let out = try model.predict(data, batchSize: batchSize ?? model.fixedBatchSize ?? 128, communicator: communicator)
        if communicator.rank == 0 { try write(out, to: output) }
        return out
    }

    /// Writes `t` as dataset `predictions` of a new HDF5 file: a temp file, then renamed into place.
    public static func write(_ t: Tensor, to path: String) throws {
        let tmp = path + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
        do {
            let f = try HDF5.File.create(tmp)
            try f.write("predictions", t)
            try f.flush()
        }
        guard rename(tmp, path) == 0 else {
            try? FileManager.default.removeItem(atPath: tmp)
            throw StrataError.file(path: path, "cannot move the finished file into place", hint: "check the directory is writable")
        }
    }
}
