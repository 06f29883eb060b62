/// Makes layers from Keras class names and `get_config()` dictionaries: the one place YAML configs, Keras
/// model_config JSON and checkpoints turn into layers. Each layer type conforms to `ConfigurableLayer`;
/// a layer family adds its types to `LayerRegistry.types`.
public protocol ConfigurableLayer: Layer {
    /// Keras's class name, e.g. "Dense".
    static var kerasClassName: String { get }
    /// Builds the layer from Keras config keys (snake_case, as `get_config()` writes them).
    init(config: LayerConfig) throws
}

/// The layer classes configs and Keras files may name, by Keras class name (`"Dense"`, `"LSTM"`, ...).
public enum LayerRegistry {
    /// Every layer type that configs may name.
    /// (Immutable, so safe to share across threads; metatype arrays are not Sendable to the compiler.)
    nonisolated(unsafe) public static let types: [ConfigurableLayer.Type] = [
        Dense.self, Activation.self, Dropout.self, Flatten.self,
        Conv2D.self, Conv1D.self, MaxPooling2D.self, MaxPooling1D.self, AveragePooling2D.self, AveragePooling1D.self,
        GlobalAveragePooling1D.self, GlobalMaxPooling1D.self, GlobalAveragePooling2D.self, GlobalMaxPooling2D.self, Reshape.self,
        Embedding.self, LSTM.self, GRU.self, SimpleRNN.self,
        BatchNormalization.self, LayerNormalization.self,
    ]

    /// Makes a layer from a Keras class name and config.
    /// `legacyDialect`: the config comes from Keras 1/2 or tf-keras (their `hard_sigmoid` differs from Keras 3's).
    public static func make(className: String, config: [String: JSONValue], legacyDialect: Bool = false) throws -> Layer {
        guard let t = types.first(where: { $0.kerasClassName == className }) else {
            let names = types.map { $0.kerasClassName }
            let closest = names.min { LayerConfig.distance($0, className) < LayerConfig.distance($1, className) } ?? ""
            throw StrataError.invalidArgument(
                "unsupported layer class '\(className)'",
                hint: "did you mean '\(closest)'? Strata supports: " + names.joined(separator: ", "))
        }
        let layer = try t.init(config: LayerConfig(className: className, values: config, legacyDialect: legacyDialect))
        if let n = config["name"]?.stringValue { layer.name = n }
        return layer
    }
}
