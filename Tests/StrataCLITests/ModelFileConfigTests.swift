import Foundation
import Strata
import XCTest

@testable import StrataRun

/// `model:` may name a Keras model_config JSON file or a Keras/Strata .h5 instead of listing layers.
final class ModelFileConfigTests: XCTestCase {
    func testModelFromJSONAndFromH5() throws {
        let dir = NSTemporaryDirectory() + "strata-modelfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let source = Sequential([Dense(5, activation: .relu, inputDim: 3), Dense(2, activation: .softmax)], seed: 3)
        try source.build()
        try ModelConfig.json(of: source).jsonText.write(toFile: dir + "/model.json", atomically: true, encoding: .utf8)
        source.compile(optimizer: "adam", loss: "categorical_crossentropy")
        try source.save(dir + "/model.h5")
        for (file, sameWeights) in [("model.json", false), ("model.h5", true)] {
            let yaml = """
                model: \(file)
                compile: {optimizer: sgd, loss: categorical_crossentropy}
                data:
                  synthetic: {x: {shape: [3]}, y: {classes: 2, one_hot: true}, train: 8}
                """
            try yaml.write(toFile: dir + "/run.yaml", atomically: true, encoding: .utf8)
            let model = try Runner(config: try RunConfig.load(dir + "/run.yaml"), communicator: SingleProcess()).makeModel()
            XCTAssertEqual(model.layers.map(\.className), ["Dense", "Dense"], file)
            XCTAssertEqual(model.optimizer?.name, "SGD", file)
            if !model.isBuilt { try model.build() }
            XCTAssertEqual(model.countParams(), source.countParams(), file)
            let same = zip(model.getWeights(), source.getWeights()).allSatisfy { $0.scalars == $1.scalars }
            XCTAssertEqual(same, sameWeights, file)
        }
    }
}
