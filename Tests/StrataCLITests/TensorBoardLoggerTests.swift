import Foundation
import StrataCore
import TestSupport
import XCTest

@testable import StrataRun

final class TensorBoardLoggerTests: XCTestCase {
    /// The event file is read back by TensorFlow's own reader with the values we wrote.
    func testTensorFlowReadsOurEventFile() throws {
        guard KerasPython.path != nil else { throw XCTSkip("no Python with TensorFlow (set STRATA_KERAS_PYTHON); .ci/run installs one") }
        let dir = NSTemporaryDirectory() + "strata-tb-\(UUID().uuidString)"
        let w = try EventFileWriter(directory: dir)
        w.scalar("epoch_loss", 0.5, step: 0)
        w.scalar("epoch_loss", 0.25, step: 1)
        w.scalar("epoch_accuracy", 0.75, step: 1)
        w.flush()
        let script = """
            import sys, tensorflow as tf
            for e in tf.compat.v1.train.summary_iterator(sys.argv[1]):
                for v in e.summary.value:
                    print(e.step, v.tag, v.simple_value)
            """
        let (status, out) = try KerasPython.run(script, arguments: [w.path])
        XCTAssertEqual(status, 0, out)
        let lines = out.split(separator: "\n").map(String.init).filter { $0.first?.isNumber == true }
        XCTAssertEqual(lines, ["0 epoch_loss 0.5", "1 epoch_loss 0.25", "1 epoch_accuracy 0.75"], out)
    }

    func testCRC32CKnownValue() {
        // CRC-32C of "123456789" is 0xE3069283 (the standard check value).
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
    }
}
