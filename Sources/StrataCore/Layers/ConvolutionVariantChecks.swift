/// The build-time checks the convolution variants share (transposed, depthwise, separable): sample rank, filters,
/// padding and the strides/dilation rule, with messages naming the layer and its class.
enum ConvolutionVariantChecks {
    /// Throws unless `filters` (nil: the layer has none) is positive, `inputShape` is one sample of
    /// `spatialRank` axes plus channels, `padding` is not causal, and strides and dilation are not both above 1.
    static func check(
        layer: String, className: String, spatialRank: Int, filters: Int?, inputShape: [Int], padding: Padding,
        strides: (Int, Int), dilationRate: (Int, Int)
    ) throws {
        let oneD = spatialRank == 1
        if let filters, filters <= 0 {
            throw StrataError.invalidModel(
                layer: layer, "filters must be positive, got \(filters)", hint: "use e.g. \(className)(16, kernelSize: 3)")
        }
        guard inputShape.count == spatialRank + 1 else {
            throw StrataError.invalidModel(
                layer: layer,
                "\(className) needs samples of shape \(oneD ? "(steps, channels)" : "(height, width, channels)"), got \(inputShape)",
                hint: oneD ? "give inputShape: [steps, channels]" : "give inputShape: [height, width, channels] (channels last)")
        }
        guard padding != .causal else {
            throw StrataError.invalidModel(layer: layer, "\(className) has no \"causal\" padding", hint: "use \"valid\" or \"same\"")
        }
        if (strides.0 > 1 || strides.1 > 1) && (dilationRate.0 > 1 || dilationRate.1 > 1) {
            throw StrataError.invalidModel(
                layer: layer, "strides and dilation rate are both above 1",
                hint: "Keras (TensorFlow) takes either strides > 1 or dilation_rate > 1, not both")
        }
    }
}
