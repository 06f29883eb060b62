import Foundation
import Strata
import TestSupport
import XCTest

/// A checkpoint written mid-epoch holds the counting metrics' partial counts and the weighted sums
/// (`TrainingState.partialSums`), so resuming with sample weights and AUC / Precision / F1Score gives the same
/// weights and History bit for bit.
final class CountingMetricResumeTests: XCTestCase {
    func testMidEpochResumeWithCountingMetricsAndSampleWeightsIsBitIdentical() throws {
        let dir = try TestFiles.directory()
        let x = try TestFiles.tensor(45, 4)
        let y = try toCategorical((0..<45).map { x[$0, 0] > 0 ? 1 : 0 }, numClasses: 2)
        let w = Tensor((0..<45).map { Float(1 + $0 % 3) })
        func model() -> Sequential {
            let m = Sequential([Dense(5, activation: .tanh, inputShape: [4]), Dense(2, activation: .softmax)], seed: 5)
            m.compile(
                optimizer: RMSprop(learningRate: 0.01), loss: CategoricalCrossentropy(labelSmoothing: 0.1),
                metrics: [.metric(AUC()), .metric(Precision(thresholds: 0.4)), .metric(F1Score(average: .macro)), "accuracy"])
            return m
        }
        let full = model()
        let ck = ModelCheckpoint(dir + "/ck-{epoch}-{batch}.h5", saveFreq: .steps(1))
        let h1 = try full.fit(
            TensorDataset(x: x, y: y), batchSize: 10, epochs: 2, verbose: 0, callbacks: [ck],
            validationData: TensorDataset(x: x, y: y), validationSampleWeight: w, sampleWeight: w)
        for point in ["ck-1-3.h5", "ck-2-2.h5"] {
            let resumed = model()
            let h2 = try resumed.fit(
                TensorDataset(x: x, y: y), batchSize: 10, epochs: 2, verbose: 0,
                validationData: TensorDataset(x: x, y: y), validationSampleWeight: w, sampleWeight: w,
                resumeFrom: dir + "/" + point)
            XCTAssertEqual(resumed.parameters!.values.scalars, full.parameters!.values.scalars, point)
            XCTAssertEqual(h2.history, h1.history, point)
        }
        XCTAssertEqual(
            Set(h1.history.keys),
            [
                "loss", "auc", "precision", "f1_score", "accuracy",
                "val_loss", "val_auc", "val_precision", "val_f1_score", "val_accuracy",
            ])
    }
}
