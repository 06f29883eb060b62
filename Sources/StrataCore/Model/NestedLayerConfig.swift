/// A layer inside a wrapper's config (`Bidirectional`'s `layer` and `backward_layer`, `TimeDistributed`'s
/// `layer`), as Keras 3 serializes it: `{"module": "keras.layers", "class_name": ..., "config": {...},
/// "registered_name": null}` (Keras 3 needs the module to find the class; tf-keras accepts it).
enum NestedLayerConfig {
    static func json(_ layer: Layer) -> JSONValue {
        var config = layer.config
        config["name"] = .string(layer.name)
        return .object([
            "module": "keras.layers", "class_name": .string(layer.className), "config": .object(config), "registered_name": .null,
        ])
    }

    /// The layer `c.values[key]` describes; `example` shows the expected form in the error.
    static func make(_ key: String, of c: LayerConfig, example: String) throws -> Layer {
        guard let inner = c.values[key], let cls = inner["class_name"]?.stringValue, let ic = inner["config"]?.objectValue else {
            throw StrataError.invalidModel(
                layer: c.layerName, "\(c.className) needs '\(key)' = {class_name, config}", hint: "e.g. \(key): \(example)")
        }
        return try LayerRegistry.make(className: cls, config: ic, legacyDialect: c.legacyDialect)
    }
}
