import Foundation
import Strata
import XCTest

@testable import StrataRun

final class CheckpointReportTests: XCTestCase {
    /// `strata inspect` shows the global RNN states a checkpoint holds, and the position.
    func testReportShowsRNNStates() throws {
        let m = Sequential([LSTM(3, stateful: true, batchInputShape: [4, 2, 2]), Dense(1)], seed: 3)
        m.compile(optimizer: "sgd", loss: "mse")
        let x = RandomData(seed: 2).uniform([8, 2, 2])
        try m.fit(x, Tensor(zeros: [8, 1]), batchSize: 4, epochs: 1, verbose: 0, shuffle: false)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-report-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try m.save(path)
        let text = try CheckpointReport.text(path)
        XCTAssertTrue(text.contains("RNN states (global) of lstm: [4, 3], [4, 3]"), text)
        XCTAssertTrue(text.contains("position: 1 epoch(s) complete"), text)
        XCTAssertFalse(text.contains("stopped:"), text)
        XCTAssertTrue(text.contains("lstm/kernel [2, 12]"), text)
        XCTAssertTrue(text.contains("run seed \(m.runSeed), initialisation seed 3"), text)
    }
}
