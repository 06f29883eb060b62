import XCTest

@testable import StrataCore

final class ModelConfigTests: XCTestCase {
    /// Keras 3 (InputLayer batch_shape, dtype objects), tf-keras (batch_input_shape twice) and Keras 2 (no
    /// InputLayer; config as a bare list) all give the same model.
    func testReadsEveryDialect() throws {
        let k3 = """
            {"class_name":"Sequential","config":{"name":"sequential","trainable":true,"dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null},"layers":[
            {"class_name":"InputLayer","config":{"batch_shape":[null,8],"dtype":"float32","sparse":false,"ragged":false,"name":"input_layer","optional":false}},
            {"class_name":"Dense","config":{"name":"dense","trainable":true,"dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null},"units":5,"activation":"hard_sigmoid","use_bias":true,"kernel_initializer":{"module":"keras.initializers","class_name":"GlorotUniform","config":{"seed":null,"input_axes":null,"output_axes":null},"registered_name":null},"bias_initializer":{"module":"keras.initializers","class_name":"Zeros","config":{},"registered_name":null},"kernel_regularizer":null,"bias_regularizer":null,"kernel_constraint":null,"bias_constraint":null,"quantization_config":null}},
            {"class_name":"Dropout","config":{"name":"dropout","trainable":true,"dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},"registered_name":null},"rate":0.25,"seed":null,"noise_shape":null}}]}}
            """
        let tfk = """
            {"class_name":"Sequential","config":{"name":"sequential","layers":[
            {"class_name":"InputLayer","config":{"batch_input_shape":[null,8],"dtype":"float32","sparse":false,"ragged":false,"name":"dense_input"}},
            {"class_name":"Dense","config":{"name":"dense","trainable":true,"dtype":"float32","batch_input_shape":[null,8],"units":5,"activation":"hard_sigmoid","use_bias":true}},
            {"class_name":"Dropout","config":{"name":"dropout","trainable":true,"dtype":"float32","rate":0.25,"noise_shape":null,"seed":null}}]}}
            """
        let k2 = """
            {"class_name":"Sequential","config":[
            {"class_name":"Dense","config":{"name":"dense_1","batch_input_shape":[null,8],"dtype":"float32","units":5,"activation":"hard_sigmoid"}},
            {"class_name":"Dropout","config":{"name":"dropout_1","rate":0.25}}]}
            """
        for (text, version, legacy) in [(k3, "3.15.1", false), (tfk, "2.21.0", true), (k2, "2.2.4", true)] {
            let m = try ModelConfig(json: JSONValue.parse(text), kerasVersion: version).makeModel(seed: 1)
            XCTAssertEqual(m.inputShape, [8], version)
            XCTAssertEqual(m.layers.map(\.className), ["Dense", "Dropout"], version)
            XCTAssertEqual((m.layers[0] as? Dense)?.activation, legacy ? .hardSigmoidLegacy : .hardSigmoid, version)
            XCTAssertEqual((m.layers[1] as? Dropout)?.rate, 0.25, version)
        }
    }

    /// What we write is the portable dialect (explicit InputLayer with batch_input_shape) and reads back.
    func testWritesPortableDialect() throws {
        let m = Sequential([Dense(4, activation: .relu, batchInputShape: [16, 3]), Dense(2)], name: "net", seed: 1)
        try m.build()
        let json = ModelConfig.json(of: m)
        let layers = json["config"]?["layers"]?.arrayValue ?? []
        XCTAssertEqual(layers.first?["class_name"], "InputLayer")
        XCTAssertEqual(layers.first?["config"]?["batch_input_shape"], [16, 3])
        let back = try ModelConfig(json: JSONValue.parse(json.jsonText), kerasVersion: "3.15.1").makeModel()
        XCTAssertEqual(back.configFingerprint, m.configFingerprint)
        XCTAssertEqual(back.fixedBatchSize, 16)
        XCTAssertEqual(back.layers.map(\.name), ["dense", "dense_1"])
    }

    func testTrainingConfigDialects() throws {
        let m = Sequential([Dense(2, activation: .softmax, inputShape: [3])], seed: 1)
        try ModelConfig.compile(
            m,
            trainingConfig: JSONValue.parse(
                """
                {"loss": "categorical_crossentropy", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]], "weighted_metrics": null, "loss_weights": null, "optimizer_config": {"class_name": "Custom>SGD", "config": {"name": "SGD", "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "jit_compile": false, "is_legacy_optimizer": false, "learning_rate": 0.009999999776482582, "momentum": 0.9, "nesterov": true}}}
                """))
        XCTAssertEqual(m.optimizer?.name, "SGD")
        XCTAssertEqual((m.optimizer as? SGD)?.momentum, 0.9)
        XCTAssertEqual(m.compileSpec?.metrics, ["accuracy"])
        XCTAssertThrowsError(try ModelConfig(json: JSONValue.parse(#"{"class_name":"Functional","config":{}}"#), kerasVersion: "3"))
    }
}
