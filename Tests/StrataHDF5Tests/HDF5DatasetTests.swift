import Foundation
import Strata
import XCTest

@testable import StrataHDF5

final class HDF5DatasetTests: XCTestCase {
    /// Rows read by hyperslab (contiguous, chunked, gzip; in any order; through a small window) equal the
    /// same rows taken from a whole-dataset read.
    func testHyperslabReadEqualsWholeRead() throws {
        let dir = try TestFiles.directory()
        let x = try TestFiles.tensor(50, 7), y = try TestFiles.tensor(50, 2, stream: 2)
        for layout in ["contiguous", "chunked", "gzip"] {
            let path = dir + "/\(layout).h5"
            do {
                let f = try HDF5.File.create(path)
                switch layout {
                case "contiguous": try f.write("x", x); try f.write("y", y)
                case "chunked": try f.write("x", x, chunkRows: 6); try f.write("y", y, chunkRows: 6)
                default: try f.write("x", x, chunkRows: 8, gzip: 4); try f.write("y", y, chunkRows: 8, gzip: 4)
                }
            }
            let whole = try HDF5.File.open(path).dataset("x").readAll()
            XCTAssertEqual(whole.scalars, x.scalars, layout)
            for mode in [HDF5Dataset.Mode.inMemory, .streaming(bufferBytes: 9 * 4 * 10)] {
                let d = try HDF5Dataset(path: path, x: "x", y: "y", mode: mode)
                for indices in [[3, 4, 5, 6], [49, 0, 17, 18, 2, 33], Array(40..<50), Array((0..<50).reversed()), [7, 7, 8]] {
                    let xo = Tensor(zeros: [indices.count, 7]), yo = Tensor(zeros: [indices.count, 2])
                    try d.read(ArraySlice(indices), x: xo, y: yo)
                    XCTAssertEqual(xo.scalars, indices.flatMap { x.rows($0..<($0 + 1)).scalars }, "\(layout) \(mode) \(indices)")
                    XCTAssertEqual(yo.scalars, indices.flatMap { y.rows($0..<($0 + 1)).scalars }, "\(layout) \(mode) \(indices)")
                }
            }
        }
    }

    /// float64, int32 and uint8 datasets are converted to Float32 on read; rank-3 samples keep their shape.
    func testNumericTypesConvertAndAnyRank() throws {
        let path = try TestFiles.directory() + "/types.h5"
        do {
            let f = try HDF5.File.create(path)
            try f.write("f64", doubles: [1.5, -2.25, 3, 4])
            try f.write("i32", integers: [Int32(-3), 7, 9, 11], shape: [4])
            try f.write("u8", integers: [UInt8](0..<24), shape: [4, 3, 2])
        }
        let d = try HDF5Dataset(path: path, x: "u8", y: "i32", mode: .streaming(bufferBytes: 64))
        XCTAssertEqual(d.xShape, [3, 2])
        XCTAssertEqual(d.yShape, [])
        let xo = Tensor(zeros: [2, 3, 2]), yo = Tensor(zeros: [2])
        try d.read([3, 1], x: xo, y: yo)
        XCTAssertEqual(xo.scalars, [18, 19, 20, 21, 22, 23, 6, 7, 8, 9, 10, 11])
        XCTAssertEqual(yo.scalars, [11, 7])
        XCTAssertEqual(try HDF5.File.open(path).dataset("f64").readAll().scalars, [1.5, -2.25, 3, 4])
    }

    /// Training on the streamed file and on the in-memory file gives the same weights, bit for bit.
    func testStreamingAndInMemoryTrainIdentically() throws {
        let path = try TestFiles.directory() + "/train.h5"
        let x = try TestFiles.tensor(90, 5)
        let y = try Tensor(shape: [90, 1], scalars: (0..<90).map { x[$0, 0] + x[$0, 1] > 0 ? 1 : 0 })
        do { let f = try HDF5.File.create(path); try f.write("x", x, chunkRows: 16, gzip: 1); try f.write("y", y) }
        var results: [[Float]] = []
        for mode in [HDF5Dataset.Mode.inMemory, .streaming(bufferBytes: 24 * 10)] {
            let m = Sequential([Dense(4, activation: .tanh, inputShape: [5]), Dropout(0.25), Dense(1, activation: .sigmoid)], seed: 3)
            m.compile(optimizer: "adam", loss: "binary_crossentropy", metrics: ["accuracy"])
            let d = try HDF5Dataset(path: path, x: "x", y: "y", mode: mode)
            XCTAssertEqual(d.mode, mode)
            try m.fit(d, batchSize: 16, epochs: 2, verbose: 0)
            results.append(m.parameters!.values.scalars)
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testAutomaticModeChoosesBySize() throws {
        let path = try TestFiles.directory() + "/auto.h5"
        do { let f = try HDF5.File.create(path); try f.write("x", TestFiles.tensor(4, 2)) }
        XCTAssertEqual(try HDF5Dataset(path: path, x: "x").mode, .inMemory)
    }

    /// Streaming checks each row as it is read and names the row; in-memory checks before training.
    func testNaNRowIsNamed() throws {
        let path = try TestFiles.directory() + "/nan.h5"
        let x = try TestFiles.tensor(40, 3)
        x[23, 1] = .nan
        do { let f = try HDF5.File.create(path); try f.write("x", x); try f.write("y", TestFiles.tensor(40, 1)) }
        for mode in [HDF5Dataset.Mode.inMemory, .streaming(bufferBytes: 4 * 4 * 8)] {
            let m = Sequential([Dense(1, inputShape: [3])], seed: 1)
            m.compile(optimizer: "sgd", loss: "mse")
            XCTAssertThrowsError(try m.fit(try HDF5Dataset(path: path, x: "x", y: "y", mode: mode), batchSize: 8, verbose: 0)) {
                let text = ($0 as? LocalizedError)?.errorDescription ?? ""
                XCTAssertTrue(text.contains("row 23 of '"), text)
                XCTAssertTrue(text.contains("nan.h5"), text)
            }
        }
    }

    /// Every bad input is a clear StrataError naming the file and what is wrong.
    func testBadFilesGiveClearErrors() throws {
        let dir = try TestFiles.directory()
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return (error as? LocalizedError)?.errorDescription ?? "\(error)" }
        }
        XCTAssertTrue(message { _ = try HDF5Dataset(path: dir + "/missing.h5", x: "x") }.contains("no such file"))
        try "hello".write(toFile: dir + "/text.h5", atomically: true, encoding: .utf8)
        XCTAssertTrue(message { _ = try HDF5Dataset(path: dir + "/text.h5", x: "x") }.contains("not an HDF5 file"))
        do {
            let f = try HDF5.File.create(dir + "/good.h5")
            try f.write("x", TestFiles.tensor(300, 40))
            try f.write("y", TestFiles.tensor(299, 1))
            try f.write("names", strings: ["a", "b"])
            try f.write("empty", Tensor(zeros: [0, 3]))
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/good.h5"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/truncated.h5"))
        let truncated = message { _ = try HDF5Dataset(path: dir + "/truncated.h5", x: "x", mode: .inMemory) }
        XCTAssertTrue(truncated.contains("truncated.h5") && truncated.contains("HDF5"), truncated)
        let missing = message { _ = try HDF5Dataset(path: dir + "/good.h5", x: "x_train") }
        XCTAssertTrue(missing.contains("no dataset 'x_train'") && missing.contains("good.h5") && missing.contains("x, y"), missing)
        XCTAssertTrue(message { _ = try HDF5Dataset(path: dir + "/good.h5", x: "x", y: "y") }.contains("'x' has 300 rows but 'y' has 299"))
        XCTAssertTrue(message { _ = try HDF5Dataset(path: dir + "/good.h5", x: "names") }.contains("holds strings"))
        XCTAssertTrue(message { _ = try HDF5Dataset(path: dir + "/good.h5", x: "empty") }.contains("is empty"))
        // Wrong sample shape for the model: named with file and dataset, expected vs found.
        let m = Sequential([Dense(1, inputShape: [12])], seed: 1)
        m.compile(optimizer: "sgd", loss: "mse")
        let shape = message { try m.fit(try HDF5Dataset(path: dir + "/good.h5", x: "x", y: "x"), verbose: 0) }
        XCTAssertTrue(shape.contains("x in ") && shape.contains("good.h5") && shape.contains("[40]") && shape.contains("[12]"), shape)
    }

    /// The streamed epoch reads every batch but the run's first in the background (`prefetch` from the trainer) and
    /// still gives the in-memory run's weights bit for bit, over a file eight times the read-ahead window, shuffled.
    func testBackgroundReadAheadTrainsIdentically() throws {
        let path = try TestFiles.directory() + "/prefetch.h5"
        let x = try TestFiles.tensor(200, 6)
        let y = try Tensor(shape: [200, 1], scalars: (0..<200).map { x[$0, 0] - x[$0, 3] > 0 ? 1 : 0 })
        do { let f = try HDF5.File.create(path); try f.write("x", x); try f.write("y", y, chunkRows: 32, gzip: 1) }
        var results: [[Float]] = []
        for mode in [HDF5Dataset.Mode.inMemory, .streaming(bufferBytes: 25 * 7 * 4)] {
            let m = Sequential([Dense(5, activation: .relu, inputShape: [6]), Dropout(0.2), Dense(1, activation: .sigmoid)], seed: 8)
            m.compile(optimizer: "adam", loss: "binary_crossentropy", metrics: ["accuracy"])
            let d = try HDF5Dataset(path: path, x: "x", y: "y", mode: mode)
            try m.fit(d, batchSize: 16, epochs: 3, verbose: 0, validationSplit: 0.2)
            if mode != .inMemory {
                // 160 training rows (10 batches) and 40 validation rows (3 batches) per epoch: every read but the
                // run's first was read ahead, across the validation and the next epoch's first batch.
                XCTAssertEqual(d.prefetchedReads, 3 * (10 + 3) - 1, "reads served by the background thread")
            }
            results.append(m.parameters!.values.scalars)
        }
        XCTAssertEqual(results[0], results[1])
    }

    /// A read that fails on the background thread ends `fit` with the clear error naming the file and the rows, at
    /// the step that needs those rows — no crash, no hang: the file is cut short once training has begun (after the
    /// pre-flight read its first, middle and last rows), leaving x's first 40 rows, so batches 0 and 1 train and
    /// batch 2 (rows 32..<48), read ahead in the background, fails.
    func testBackgroundReadErrorSurfaces() throws {
        let path = try TestFiles.directory() + "/cut.h5"
        do { let f = try HDF5.File.create(path); try f.write("y", TestFiles.tensor(96, 1)); try f.write("x", TestFiles.tensor(96, 4)) }
        let keep = try XCTUnwrap(HDF5.File.open(path).dataset("x").directOffset()) + 40 * 4 * 4
        let d = try HDF5Dataset(path: path, x: "x", y: "y", mode: .streaming(bufferBytes: 8 * 5 * 4))
        let m = Sequential([Dense(2, activation: .tanh, inputShape: [4]), Dense(1)], seed: 2)
        m.compile(optimizer: "sgd", loss: "mse")
        XCTAssertThrowsError(
            try m.fit(d, batchSize: 16, epochs: 1, verbose: 0, callbacks: [CutFile(path: path, keep: keep)], shuffle: false)
        ) {
            let text = ($0 as? LocalizedError)?.errorDescription ?? "\($0)"
            XCTAssertTrue(text.contains("cut.h5") && text.contains("cannot read rows 40..<"), text)
        }
        XCTAssertEqual(m.optimizerState?.iterations, 2, "the two readable batches trained, the third stopped the run")
        XCTAssertEqual(d.prefetchedReads, 1, "batch 1 came from the background thread")
    }
}

/// Cuts the file to `keep` bytes when training begins (a file shrunk under a running job).
private final class CutFile: Callback {
    let path: String, keep: Int
    init(path: String, keep: Int) { (self.path, self.keep) = (path, keep) }
    func onTrainBegin(context: TrainingContext) throws { XCTAssertEqual(truncate(path, off_t(keep)), 0) }
}
