import Foundation
import StrataCore
import TestSupport
import XCTest

final class CallbackTests: XCTestCase {
    private func compiledModel(lr: Float = 0.1) throws -> Sequential {
        let m = Sequential([Dense(1, inputDim: 1)], seed: 3)
        m.compile(optimizer: SGD(learningRate: lr), loss: "mse")
        try m.build()
        return m
    }

    /// Drives a callback epoch by epoch with the fixture's monitor values, as gen_core.py drove Keras's own
    /// callback; each epoch's weights are filled with the epoch number, so restored weights say their epoch.
    private func drive(_ cb: Callback, monitor: String, values: [Double]) throws
        -> (stopped: Int?, lrs: [Float], finalWeight: Float)
    {
        let model = try compiledModel()
        let context = TrainingContext(model: model)
        try cb.onTrainBegin(context: context)
        var stopped: Int?
        var lrs: [Float] = []
        for (epoch, v) in values.enumerated() {
            model.parameters!.values.fill(Float(epoch))
            try cb.onEpochEnd(epoch, logs: [monitor: v], context: context)
            lrs.append(model.optimizer!.learningRate)
            if context.stopTraining { stopped = epoch; break }
        }
        try cb.onTrainEnd(logs: [:], context: context)
        return (stopped, lrs, model.parameters!.values[flat: 0])
    }

    private func check(_ scenario: JSONValue, _ result: (stopped: Int?, lrs: [Float], finalWeight: Float), _ what: String) {
        let k = scenario["keras"]!
        XCTAssertEqual(result.stopped, k["stopped_epoch"]!.intValue, "\(what): stopped epoch")
        let lrs = k["learning_rates"]!.arrayValue!.map { Float($0.doubleValue!) }
        XCTAssertEqual(result.lrs.count, lrs.count, "\(what): epochs run")
        for (a, b) in zip(result.lrs, lrs) { XCTAssertEqual(a, b, accuracy: 1e-6 * b, "\(what): learning rate (to float rounding)") }
        XCTAssertEqual(result.finalWeight, Float(k["final_weight"]!.doubleValue!), "\(what): weights after training")
    }

    private func args(_ s: JSONValue) -> [String: JSONValue] { s["args"]!.objectValue! }
    private func values(_ s: JSONValue) -> [Double] { s["values"]!.arrayValue!.map { $0.doubleValue! } }
    private func mode(_ a: [String: JSONValue]) -> MonitorMode { MonitorMode(rawValue: a["mode"]?.stringValue ?? "auto")! }

    /// Patience counting, min_delta, baseline, start_from_epoch, mode max, restore_best_weights (also when training
    /// runs to the end): every scenario against Keras 3's EarlyStopping.
    func testEarlyStoppingMatchesKeras() throws {
        let scenarios = try Fixtures.manifest("core_callbacks")["early_stopping"]!.arrayValue!
        XCTAssertEqual(scenarios.count, 9)
        for (i, s) in scenarios.enumerated() {
            let a = args(s)
            let cb = EarlyStopping(
                monitor: a["monitor"]!.stringValue!, minDelta: a["min_delta"]?.doubleValue ?? 0,
                patience: a["patience"]?.intValue ?? 0, mode: mode(a), baseline: a["baseline"]?.doubleValue,
                restoreBestWeights: a["restore_best_weights"]?.boolValue ?? false,
                startFromEpoch: a["start_from_epoch"]?.intValue ?? 0)
            check(s, try drive(cb, monitor: a["monitor"]!.stringValue!, values: values(s)), "EarlyStopping scenario \(i) \(a)")
        }
    }

    /// factor, patience, cooldown, min_lr, min_delta, mode max: against Keras 3's ReduceLROnPlateau.
    func testReduceLROnPlateauMatchesKeras() throws {
        let scenarios = try Fixtures.manifest("core_callbacks")["reduce_lr_on_plateau"]!.arrayValue!
        XCTAssertEqual(scenarios.count, 3)
        for (i, s) in scenarios.enumerated() {
            let a = args(s)
            let cb = ReduceLROnPlateau(
                monitor: a["monitor"]!.stringValue!, factor: Float(a["factor"]!.doubleValue!),
                patience: a["patience"]!.intValue!, mode: mode(a),
                minDelta: a["min_delta"]?.doubleValue ?? 1e-4, cooldown: a["cooldown"]?.intValue ?? 0,
                minLR: Float(a["min_lr"]?.doubleValue ?? 0))
            check(s, try drive(cb, monitor: a["monitor"]!.stringValue!, values: values(s)), "ReduceLROnPlateau scenario \(i) \(a)")
        }
    }

    func testReduceLROnPlateauRejectsFactorOne() throws {
        let model = try compiledModel()
        XCTAssertThrowsError(try ReduceLROnPlateau(factor: 1).onTrainBegin(context: TrainingContext(model: model))) { e in
            XCTAssertTrue(e.localizedDescription.contains("factor"))
        }
    }

    /// Inside fit: a scheduler that sets the learning rate to 0 keeps the loss flat, so EarlyStopping(patience 1)
    /// stops after epoch 1 (epoch 0 is always an improvement), leaving two epochs of history.
    func testSchedulerAndEarlyStoppingInFit() throws {
        let model = try compiledModel(lr: 0.3)
        let x = try Tensor(shape: [4, 1], scalars: [0, 1, 2, 3]), y = try Tensor(shape: [4, 1], scalars: [1, 3, 5, 7])
        var seen: [Int] = []
        let scheduler = LearningRateScheduler { epoch, lr in
            seen.append(epoch); return 0
        }
        let h = try model.fit(
            x, y, batchSize: 2, epochs: 10, verbose: 0, callbacks: [scheduler, EarlyStopping(monitor: "loss", patience: 1)],
            shuffle: false)
        XCTAssertEqual(h.epoch, [0, 1])
        XCTAssertEqual(seen, [0, 1])
        XCTAssertEqual(h["loss"]![0], h["loss"]![1])
        XCTAssertEqual(model.optimizer!.learningRate, 0)
    }

    /// A scheduler's learning rate is the one the optimizer uses: halving each epoch, one SGD step per epoch on
    /// mse(w x, y) with x = 1, y = 0 from w = 1 gives w_{e+1} = w_e (1 - 2 lr_e).
    func testSchedulerDrivesTheUpdate() throws {
        let model = Sequential([Dense(1, useBias: false, kernelInitializer: .ones, inputDim: 1)], seed: 1)
        model.compile(optimizer: SGD(learningRate: 0.2), loss: "mse")
        let sched = LearningRateScheduler { epoch, lr in epoch == 0 ? lr : lr / 2 }
        try model.fit(
            Tensor(shape: [1, 1], scalars: [1]), Tensor(shape: [1, 1], scalars: [0]), batchSize: 1, epochs: 3,
            verbose: 0, callbacks: [sched])
        let expected: Float = 1 * (1 - 0.4) * (1 - 0.2) * (1 - 0.1)
        XCTAssertEqual(model.getWeights()[0][0, 0], expected, accuracy: 1e-6)
    }

    /// TerminateOnNaN ends training after the first batch whose loss is not finite (here it overflows to inf).
    func testTerminateOnNaN() throws {
        let model = try compiledModel(lr: 1e30)
        let x = try Tensor(shape: [8, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8]), y = Tensor(zeros: [8, 1])
        var batches = 0
        final class Counter: Callback { var n = 0; func onBatchEnd(_ b: Int, logs: [String: Double], model: Sequential) throws { n += 1 } }
        let counter = Counter()
        let h = try model.fit(x, y, batchSize: 1, epochs: 5, verbose: 0, callbacks: [TerminateOnNaN(), counter], shuffle: false)
        batches = counter.n
        XCTAssertEqual(h.epoch.count, 1)
        XCTAssertLessThan(batches, 8)
        XCTAssertFalse(h["loss"]![0].isFinite)
    }

    /// CSVLogger writes Keras's layout: `epoch` then the sorted log keys, one row per epoch, epochs from 0.
    func testCSVLogger() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-csv-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = Sequential([Dense(2, activation: .softmax, inputDim: 2)], seed: 5)
        model.compile(optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"])
        let x = GradientCheck.random([10, 2], seed: 1)
        let y = try toCategorical([0, 1, 0, 1, 1, 0, 0, 1, 1, 0], numClasses: 2)
        let h = try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, callbacks: [CSVLogger(path)], validationSplit: 0.2)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0], "epoch,accuracy,loss,val_accuracy,val_loss")
        let row1 = lines[2].split(separator: ",").map(String.init)
        XCTAssertEqual(row1[0], "1")
        XCTAssertEqual(Double(row1[2])!, h["loss"]![1], accuracy: 1e-12)
        XCTAssertEqual(Double(row1[4])!, h["val_loss"]![1], accuracy: 1e-12)
        // append: a second fit adds rows under the same header.
        try model.fit(x, y, batchSize: 4, epochs: 1, verbose: 0, callbacks: [CSVLogger(path, append: true)], validationSplit: 0.2)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count, 4)
    }
}
