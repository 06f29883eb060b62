/// Limits a batch must respect, checked before the first step so that a batch too large for a kernel is a clear
/// error naming the batch size, never a crash inside the kernel.
extension Sequential {
    /// Max pooling records each maximum's position as a 32-bit index into this rank's batch, so a rank's input to
    /// a max-pooling layer must stay below 2^31 scalars (`PoolingKernels.maxForward`).
    func checkBatchLimits(batch: Int, samples: Int, ranks: Int) throws {
        let rows = (min(batch, samples) + ranks - 1) / ranks
        for (i, layer) in layers.enumerated() where layer is MaxPooling1D || layer is MaxPooling2D {
            let perSample = max((i == 0 ? inputShape ?? [] : layerOutputShapes[i - 1]).reduce(1, *), 1)
            guard rows * perSample >= Int(Int32.max) else { continue }
            let fitting = (Int(Int32.max) - 1) / perSample * ranks
            throw StrataError.fixable(
                "layer '\(layer.name)' would receive \(rows) samples of \(perSample) values on one rank, \(rows * perSample) in all; max pooling indexes at most 2^31 - 1 per rank",
                remedy: .argument("batchSize", value: "\(fitting)"))
        }
    }
}
