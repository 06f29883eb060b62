/// A layer whose work is multiply-adds that can be counted: `strata-bench --profile` divides them by the layer's
/// time and prints its GFLOP/s next to the same run's sgemm rate, so a layer far below the machine's rate shows.
public protocol FlopCounting: Layer {
    /// Floating-point operations (a multiply-add counts 2) of one sample's forward pass, set by `build`.
    var forwardFlopsPerSample: Double { get }
}

extension FlopCounting {
    /// One sample's backward pass: the weight gradient (as many operations as the forward) and, unless nobody needs
    /// it (the model's first layer), the input gradient (as many again).
    public func backwardFlopsPerSample(needsInputGradient: Bool) -> Double {
        forwardFlopsPerSample * (needsInputGradient ? 2 : 1)
    }
}

extension Conv2D: FlopCounting {
    /// `2 * output positions * kh * kw * in * filters`.
    public var forwardFlopsPerSample: Double { engine.forwardFlopsPerSample }
}

extension Conv1D: FlopCounting {
    /// `2 * output steps * k * in * filters`.
    public var forwardFlopsPerSample: Double { engine.forwardFlopsPerSample }
}

extension Convolution {
    var forwardFlopsPerSample: Double { 2 * Double(geometry.outputPositions) * Double(geometry.patchSize) * Double(filters) }
}

extension Dense: FlopCounting {
    /// `2 * rows per sample * input dim * units` (rows: the product of the input's leading axes, 1 for flat inputs).
    public var forwardFlopsPerSample: Double { 2 * Double(rowsPerSample) * Double(inputDim) * Double(units) }
}
