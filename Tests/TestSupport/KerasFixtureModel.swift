import StrataCore

/// Builds the model a Keras fixture set describes (`"layers": [{"class": "Dense", "units": 4, "activation": "tanh"},
/// {"class": "Activation", "activation": "softmax"}]`) and loads the fixture's weights `prefix0`, `prefix1`, ...
public enum KerasFixtureModel {
    public static func make(_ set: String, inputShape: [Int], weightsPrefix: String) throws -> Sequential {
        let m = try Fixtures.manifest(set)
        var layers: [Layer] = []
        for (i, spec) in (m["layers"]?.arrayValue ?? []).enumerated() {
            let act = try ActivationFunction(kerasName: spec["activation"]?.stringValue ?? "linear")
            let shape = i == 0 ? inputShape : nil
            if spec["class"]?.stringValue == "Dense" {
                layers.append(Dense(spec["units"]!.intValue!, activation: act, inputShape: shape))
            } else {
                layers.append(Activation(act, inputShape: shape))
            }
        }
        let model = Sequential(layers, seed: 1)
        try model.build()
        let count = m["weights"]?.intValue ?? 0
        try model.setWeights((0..<count).map { try Fixtures.npy(set, "\(weightsPrefix)\($0)") })
        return model
    }

    /// The fixture's weights `prefix0`, `prefix1`, ...
    public static func weights(_ set: String, prefix: String) throws -> [Tensor] {
        let count = try Fixtures.manifest(set)["weights"]?.intValue ?? 0
        return try (0..<count).map { try Fixtures.npy(set, "\(prefix)\($0)") }
    }
}
