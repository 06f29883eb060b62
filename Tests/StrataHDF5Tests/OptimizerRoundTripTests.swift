import Foundation
import Strata
import TestSupport
import XCTest

/// Every optimizer variant the Keras fixtures cover (core_opt_index: SGD with momentum, Nesterov and decay,
/// RMSprop with momentum and centered, Adam and AMSGrad, Adagrad, Adadelta, Adamax, Nadam) survives a checkpoint
/// through the Swift API: `Sequential.load` compiles the run's own optimizer with every argument, predicts with
/// the file's weights, and resumes bit for bit like a run that never stopped.
final class OptimizerRoundTripTests: XCTestCase {
    static func variants() throws -> [(set: String, name: String, arguments: [String: JSONValue])] {
        try Fixtures.manifest("core_opt_index")["sets"]!.arrayValue!.map { s in
            let m = try Fixtures.manifest(s.stringValue!)
            return (s.stringValue!, m["optimizer"]!.stringValue!, m["optimizer_args"]!.objectValue!)
        }
    }

    func model(_ name: String, _ arguments: [String: JSONValue]) throws -> Sequential {
        let m = Sequential([Dense(6, activation: .relu, inputDim: 4), Dropout(0.25), Dense(3, activation: .softmax)], seed: 5)
        m.compile(optimizer: try Optimizers.make(name, arguments: arguments), loss: "categorical_crossentropy", metrics: ["accuracy"])
        return m
    }

    func testEveryOptimizerVariantLoadsPredictsAndResumes() throws {
        let variants = try Self.variants()
        XCTAssertEqual(variants.count, 14)
        let data = RandomData(seed: 3)
        let x = data.uniform([20, 4]), y = try toCategorical(data.integers(3, count: 20), numClasses: 3)
        let dir = try TestFiles.directory()
        for (set, name, arguments) in variants {
            // The reference: 4 epochs without stopping.
            let full = try model(name, arguments)
            try full.fit(x, y, batchSize: 6, epochs: 4, verbose: 0)
            // The same run stopped after 2 epochs and saved.
            let first = try model(name, arguments)
            try first.fit(x, y, batchSize: 6, epochs: 2, verbose: 0)
            let path = dir + "/\(set).h5"
            try first.save(path)

            let loaded = try Sequential.load(path)
            let expected = try Optimizers.make(name, arguments: arguments)
            XCTAssertEqual(loaded.optimizer?.name, expected.name, set)
            XCTAssertEqual(loaded.optimizer?.decay, expected.decay, set)
            var config = loaded.optimizer?.config ?? [:]
            var reference = expected.config
            config["learning_rate"] = nil  // the run's current one, restored from the file
            reference["learning_rate"] = nil
            XCTAssertEqual(config, reference, "\(set): every optimizer argument comes back")
            XCTAssertEqual(loaded.optimizerState?.iterations, first.optimizerState?.iterations, set)
            XCTAssertEqual(try loaded.predict(x).scalars, try first.predict(x).scalars, "\(set): predict uses the file's weights")
            XCTAssertEqual(try Sequential.load(path, compile: false).predict(x).scalars, try first.predict(x).scalars, set)

            try loaded.fit(TensorDataset(x: x, y: y), batchSize: 6, epochs: 4, verbose: 0, resumeFrom: path)
            XCTAssertEqual(
                loaded.parameters!.values.scalars, full.parameters!.values.scalars,
                "\(set): load + resume equals the uninterrupted run bit for bit")
        }
    }
}
