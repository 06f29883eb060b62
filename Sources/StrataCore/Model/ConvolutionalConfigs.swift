/// Config (Keras `get_config()`) readers for the convolution, pooling and reshaping layers.
extension LayerConfig {
    /// `data_format` must be channels_last (the only layout Strata computes).
    func requireChannelsLast() throws {
        if let f = try string("data_format"), f != "channels_last" {
            throw StrataError.invalidModel(layer: layerName, "data_format '\(f)' is not supported",
                                           hint: "Strata computes channels_last; transpose the data to (..., channels) and use channels_last")
        }
    }

    /// Regularizers and constraints would change training silently if ignored: only `null` is accepted.
    func requireNoRegularizers() throws {
        for key in ["kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"] {
            if let v = values[key], v != .null {
                throw StrataError.invalidModel(layer: layerName, "\(className) '\(key)' is not supported", hint: "remove '\(key)' (set it to null)")
            }
        }
    }

    func padding() throws -> Padding {
        guard let s = try string("padding") else { return .valid }
        do { return try Padding(kerasName: s) } catch { throw fail("padding", "\"valid\", \"same\" or \"causal\"") }
    }

    /// A 2-element size (`3` or `[3, 3]`).
    func pair(_ key: String) throws -> (Int, Int)? {
        guard let v = try ints(key, count: 2) else { return nil }
        return (v[0], v[1])
    }

    /// A 1-element size (`3` or `[3]`).
    func single(_ key: String) throws -> Int? { try ints(key, count: 1)?[0] }

    static let convolutionKeys: Set<String> = [
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation",
        "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint"]

    /// Keys of `MaxPooling*` / `AveragePooling*`; channels_last only.
    func checkWindowPooling() throws {
        try checkKeys(["pool_size", "strides", "padding", "data_format"])
        try requireChannelsLast()
    }

    /// `keepdims` of a `Global*Pooling*` layer (keys checked, channels_last only).
    func globalPoolingKeepdims() throws -> Bool {
        try checkKeys(["data_format", "keepdims"])
        try requireChannelsLast()
        return try bool("keepdims") ?? false
    }

    func checkConvolution() throws {
        try checkKeys(LayerConfig.convolutionKeys)
        try requireChannelsLast()
        try requireNoRegularizers()
        if let g = try int("groups"), g != 1 {
            throw StrataError.invalidModel(layer: layerName, "groups = \(g) is not supported", hint: "use groups = 1")
        }
    }
}

extension Conv2D: ConfigurableLayer {
    public static let kerasClassName = "Conv2D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkConvolution()
        let io = try c.inputArguments()
        guard let k = try c.pair("kernel_size") else { throw c.fail("kernel_size", "two integers (it is required)") }
        self.init(try c.requiredInt("filters"), kernelSize: k, strides: try c.pair("strides") ?? (1, 1), padding: try c.padding(),
                  dilationRate: try c.pair("dilation_rate") ?? (1, 1), activation: try c.activation(),
                  useBias: try c.bool("use_bias") ?? true,
                  kernelInitializer: try c.initializer("kernel_initializer", default: .glorotUniform),
                  biasInitializer: try c.initializer("bias_initializer", default: .zeros),
                  inputShape: io.inputShape, batchSize: io.batchSize, batchInputShape: io.batchInputShape)
    }
}

extension Conv1D: ConfigurableLayer {
    public static let kerasClassName = "Conv1D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkConvolution()
        let io = try c.inputArguments()
        guard let k = try c.single("kernel_size") else { throw c.fail("kernel_size", "an integer (it is required)") }
        self.init(try c.requiredInt("filters"), kernelSize: k, strides: try c.single("strides") ?? 1, padding: try c.padding(),
                  dilationRate: try c.single("dilation_rate") ?? 1, activation: try c.activation(),
                  useBias: try c.bool("use_bias") ?? true,
                  kernelInitializer: try c.initializer("kernel_initializer", default: .glorotUniform),
                  biasInitializer: try c.initializer("bias_initializer", default: .zeros),
                  inputShape: io.inputShape, batchSize: io.batchSize, batchInputShape: io.batchInputShape)
    }
}

extension MaxPooling2D: ConfigurableLayer {
    public static let kerasClassName = "MaxPooling2D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkWindowPooling()
        self.init(poolSize: try c.pair("pool_size") ?? (2, 2), strides: try c.pair("strides"), padding: try c.padding(),
                  inputShape: try c.inputArguments().inputShape)
    }
}

extension AveragePooling2D: ConfigurableLayer {
    public static let kerasClassName = "AveragePooling2D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkWindowPooling()
        self.init(poolSize: try c.pair("pool_size") ?? (2, 2), strides: try c.pair("strides"), padding: try c.padding(),
                  inputShape: try c.inputArguments().inputShape)
    }
}

extension MaxPooling1D: ConfigurableLayer {
    public static let kerasClassName = "MaxPooling1D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkWindowPooling()
        self.init(poolSize: try c.single("pool_size") ?? 2, strides: try c.single("strides"), padding: try c.padding(),
                  inputShape: try c.inputArguments().inputShape)
    }
}

extension AveragePooling1D: ConfigurableLayer {
    public static let kerasClassName = "AveragePooling1D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkWindowPooling()
        self.init(poolSize: try c.single("pool_size") ?? 2, strides: try c.single("strides"), padding: try c.padding(),
                  inputShape: try c.inputArguments().inputShape)
    }
}

extension GlobalAveragePooling1D: ConfigurableLayer {
    public static let kerasClassName = "GlobalAveragePooling1D"
    public convenience init(config c: LayerConfig) throws {
        self.init(keepdims: try c.globalPoolingKeepdims(), inputShape: try c.inputArguments().inputShape)
    }
}

extension GlobalMaxPooling1D: ConfigurableLayer {
    public static let kerasClassName = "GlobalMaxPooling1D"
    public convenience init(config c: LayerConfig) throws {
        self.init(keepdims: try c.globalPoolingKeepdims(), inputShape: try c.inputArguments().inputShape)
    }
}

extension GlobalAveragePooling2D: ConfigurableLayer {
    public static let kerasClassName = "GlobalAveragePooling2D"
    public convenience init(config c: LayerConfig) throws {
        self.init(keepdims: try c.globalPoolingKeepdims(), inputShape: try c.inputArguments().inputShape)
    }
}

extension GlobalMaxPooling2D: ConfigurableLayer {
    public static let kerasClassName = "GlobalMaxPooling2D"
    public convenience init(config c: LayerConfig) throws {
        self.init(keepdims: try c.globalPoolingKeepdims(), inputShape: try c.inputArguments().inputShape)
    }
}

extension Reshape: ConfigurableLayer {
    public static let kerasClassName = "Reshape"
    public convenience init(config c: LayerConfig) throws {
        try c.checkKeys(["target_shape"])
        guard let t = try c.ints("target_shape") else { throw c.fail("target_shape", "a list of integers (it is required)") }
        self.init(t, inputShape: try c.inputArguments().inputShape)
    }
}
