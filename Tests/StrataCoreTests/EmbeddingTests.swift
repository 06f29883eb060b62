import TestSupport
import XCTest

@testable import StrataCore

final class EmbeddingTests: XCTestCase {
    func testMatchesKerasLookupAndGradient() throws {
        let set = "rnn_embedding"
        let h = try RecurrentHarness(Embedding(7, outputDim: 4), inputShape: [5])
        h.setWeights([try Fixtures.npy(set, "table")])
        let ids = try Fixtures.npy(set, "ids")
        assertClose(h.forward(ids), try Fixtures.npy(set, "y"), atol: 0, rtol: 0, "lookup")
        _ = h.backward(try Fixtures.npy(set, "dy"))
        assertClose(h.gradient(0), try Fixtures.npy(set, "g"), atol: 1e-6, rtol: 1e-5, "scatter-add gradient")
    }

    func testKerasDefaults() throws {
        let h = try RecurrentHarness(Embedding(50, outputDim: 8), inputShape: [3])
        XCTAssertEqual(h.parameters.handles[0].name, "embeddings")
        XCTAssertEqual(h.parameters.handles[0].shape, [50, 8])
        XCTAssertTrue(h.value(0).scalars.allSatisfy { abs($0) <= 0.05 })
        XCTAssertEqual(Embedding(5, outputDim: 2, inputLength: 9).inputSpec?.shape, [9])
    }

    func testOutOfRangeIdIsAnErrorNamingSampleAndPosition() throws {
        let model = Sequential([Embedding(10, outputDim: 4), LSTM(3), Dense(1, activation: .sigmoid)], seed: 1)
        model.compile(optimizer: "rmsprop", loss: "binary_crossentropy")
        let x = Tensor(zeros: [4, 6])
        x[2, 3] = 10
        XCTAssertThrowsError(try model.fit(x, Tensor(zeros: [4, 1]), batchSize: 2, verbose: 0, shuffle: false)) { e in
            let text = (e as? StrataError)?.errorDescription ?? ""
            XCTAssertTrue(text.contains("sample 2") && text.contains("position 3") && text.contains("[0, 10)"), text)
        }
        x[2, 3] = 1.5
        XCTAssertThrowsError(try model.predict(x, batchSize: 4))
        x[2, 3] = -1
        XCTAssertThrowsError(try model.evaluate(x, Tensor(zeros: [4, 1]), verbose: 0))
    }

    func testConfig() throws {
        let e = try LayerRegistry.make(className: "Embedding", config: ["input_dim": 20, "output_dim": 3, "input_length": 5]) as! Embedding
        XCTAssertEqual(e.inputSpec?.shape, [5])
        XCTAssertThrowsError(
            try LayerRegistry.make(className: "Embedding", config: ["input_dim": 20, "output_dim": 3, "mask_zero": true, "lora_rank": 4]))
    }
}
