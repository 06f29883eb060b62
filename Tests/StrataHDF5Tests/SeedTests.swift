import Foundation
import Strata
import TestSupport
import XCTest

/// Two seeds, never conflated (DESIGN.md): the initialisation seed draws the weights of a model built without
/// weights; the run seed (`fit(seed:)`, else the model's) draws shuffles and dropout masks. A loaded or trained
/// model keeps its weights whatever the run seed, and checkpoints record both seeds.
final class SeedTests: XCTestCase {
    let x = RandomData(seed: 21).uniform([18, 4])
    var y = Tensor(zeros: [0])

    override func setUpWithError() throws {
        y = try toCategorical(RandomData(seed: 22).integers(3, count: 18), numClasses: 3)
    }

    func model(seed: UInt64? = 5) -> Sequential {
        let m = Sequential([Dense(6, activation: .relu, inputDim: 4), Dropout(0.4), Dense(3, activation: .softmax)], seed: seed)
        m.compile(optimizer: Adam(learningRate: 0.05), loss: "categorical_crossentropy")
        return m
    }

    func scalars(_ m: Sequential) -> [Float] { m.getWeights().flatMap(\.scalars) }

    /// `fit(seed:)` on a loaded model, or on one already trained, does not touch its weights.
    func testFitSeedKeepsLoadedAndTrainedWeights() throws {
        let trained = model()
        try trained.fit(x, y, batchSize: 6, epochs: 1, verbose: 0)
        let path = try TestFiles.directory() + "/trained.h5"
        try trained.save(path)
        let before = scalars(trained)
        try trained.fit(x, y, batchSize: 6, epochs: 0, verbose: 0, seed: 77)
        XCTAssertEqual(scalars(trained), before, "a trained model keeps its weights")
        let loaded = try Sequential.load(path)
        try loaded.fit(x, y, batchSize: 6, epochs: 0, verbose: 0, seed: 78)
        XCTAssertEqual(scalars(loaded), before, "a loaded model keeps the file's weights")
    }

    /// The run seed alone decides shuffles and masks: the same file trained with the same run seed gives the same
    /// weights, another run seed other weights; the initialisation seed alone decides a new model's weights.
    func testRunSeedDrivesShufflesAndMasksNotWeights() throws {
        let path = try TestFiles.directory() + "/start.h5"
        let source = model()
        try source.build()
        try source.save(path)
        func run(_ seed: UInt64) throws -> [Float] {
            let m = try Sequential.load(path)
            try m.fit(x, y, batchSize: 6, epochs: 2, verbose: 0, seed: seed)
            return scalars(m)
        }
        XCTAssertEqual(try run(3), try run(3))
        XCTAssertNotEqual(try run(3), try run(4))
        let a = model(), b = model()
        try a.fit(x, y, batchSize: 6, epochs: 0, verbose: 0, seed: 3)
        try b.fit(x, y, batchSize: 6, epochs: 0, verbose: 0, seed: 4)
        XCTAssertEqual(scalars(a), scalars(b), "the initialisation seed 5 drew both models' weights")
        XCTAssertEqual(scalars(a), scalars(source))
        // Without an initialisation seed, a model built by fit draws its weights from fit's seed (reproducible).
        let c = model(seed: nil), d = model(seed: nil)
        try c.fit(x, y, batchSize: 6, epochs: 1, verbose: 0, seed: 8)
        try d.fit(x, y, batchSize: 6, epochs: 1, verbose: 0, seed: 8)
        XCTAssertEqual(scalars(c), scalars(d))
    }

    /// A checkpoint records both seeds; loading keeps the initialisation seed, resuming continues with the run
    /// seed (bit for bit like the uninterrupted run), and asking for another run seed is a clear error.
    func testCheckpointRecordsBothSeedsAndResumesTheRunSeed() throws {
        let full = model()
        try full.fit(x, y, batchSize: 6, epochs: 4, verbose: 0, seed: 9)
        let half = model()
        try half.fit(x, y, batchSize: 6, epochs: 2, verbose: 0, seed: 9)
        let path = try TestFiles.directory() + "/half.h5"
        try half.save(path)
        let state = try XCTUnwrap(try Checkpoint.readTrainingState(try HDF5.File.open(path)))
        XCTAssertEqual(state.seed, 9)
        XCTAssertEqual(state.initSeed, 5)
        let loaded = try Sequential.load(path)
        XCTAssertEqual(loaded.seed, 5)
        XCTAssertThrowsError(try loaded.fit(TensorDataset(x: x, y: y), batchSize: 6, epochs: 4, verbose: 0, seed: 10, resumeFrom: path)) {
            let text = ($0 as? LocalizedError)?.errorDescription ?? "\($0)"
            XCTAssertTrue(text.contains("seed 9") && text.contains("seed 10"), text)
        }
        let resumed = try Sequential.load(path)
        try resumed.fit(TensorDataset(x: x, y: y), batchSize: 6, epochs: 4, verbose: 0, resumeFrom: path)
        XCTAssertEqual(scalars(resumed), scalars(full))
        XCTAssertEqual(resumed.runSeed, 9)
    }

    /// A checkpoint written before the seeds were recorded apart (one `seed`, and no checksums yet) still resumes,
    /// that seed being both.
    func testCheckpointWithOneSeedStillResumes() throws {
        guard KerasPython.path != nil else { throw XCTSkip("no Python with h5py (set STRATA_KERAS_PYTHON)") }
        let full = model(seed: 9)
        try full.fit(x, y, batchSize: 6, epochs: 3, verbose: 0)
        let half = model(seed: 9)
        try half.fit(x, y, batchSize: 6, epochs: 1, verbose: 0)
        let path = try TestFiles.directory() + "/old.h5"
        try half.save(path)
        let (status, out) = try KerasPython.run(
            "import h5py, sys\nf = h5py.File(sys.argv[1], 'r+')\ndel f['strata_training_state'].attrs['init_seed']\ndel f.attrs['strata_digest']\nf.close()",
            arguments: [path])
        XCTAssertEqual(status, 0, out)
        let state = try XCTUnwrap(try Checkpoint.readTrainingState(try HDF5.File.open(path)))
        XCTAssertEqual(state.initSeed, 9)
        let resumed = model(seed: nil)
        try resumed.fit(TensorDataset(x: x, y: y), batchSize: 6, epochs: 3, verbose: 0, resumeFrom: path)
        XCTAssertEqual(scalars(resumed), scalars(full))
    }
}
