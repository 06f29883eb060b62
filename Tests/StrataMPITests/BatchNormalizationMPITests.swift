import Foundation
import XCTest

/// BatchNormalization under real `mpirun` (DESIGN.md contract 1 with batch statistics): a config with two BN layers
/// trained by `strata train`'s Runner ends with the same weights, moving statistics included, on 1 process and on
/// 2 and 3 ranks — 22 rows in batches of 4 with shuffling, so the last batch of 2 leaves one of 3 ranks with no rows.
/// The Dense layers before the BNs have no bias: such a bias has a zero gradient up to rounding, which Adam turns into
/// steps of its own (1e-4 of the weights' scale apart between rank counts after 18 steps, measured).
final class BatchNormalizationMPITests: XCTestCase {
    func testOneTwoThreeRanksGiveTheSameWeights() throws {
        let dir = try MPIJob.scratch("batchnorm")
        let config = dir.appendingPathComponent("bn.yaml").path
        try """
        seed: 3
        model:
          - Dense: {units: 6, use_bias: false, input_dim: 8}
          - BatchNormalization: {momentum: 0.8}
          - Activation: {activation: relu}
          - Dense: {units: 5, use_bias: false}
          - BatchNormalization: {center: false, epsilon: 0.01}
          - Dense: {units: 3, activation: softmax}
        compile: {optimizer: adam, loss: categorical_crossentropy}
        data:
          synthetic: {seed: 1, x: {shape: [8]}, y: {classes: 3, one_hot: true}, train: 22, validation: 6}
        fit: {epochs: 3, batch_size: 4, verbose: 0}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        func train(_ ranks: Int, _ name: String) throws -> [Float] {
            let args = ["config", config, dir.appendingPathComponent(name).path, "run.dir=\(dir.path)/\(name)-run"]
            let r = ranks == 1 ? try MPIJob.alone(args) : try MPIJob.mpirun(ranks, args)
            XCTAssertEqual(r.status, 0, r.output)
            return try RankReport(dir.appendingPathComponent(name).path + ".rank0").weights
        }
        let one = try train(1, "one")
        XCTAssertFalse(one.isEmpty)
        let scale = one.map { abs($0) }.max()!
        for ranks in [2, 3] {
            let w = try train(ranks, "r\(ranks)")
            XCTAssertEqual(w.count, one.count)
            let diff = zip(w, one).map { abs($0 - $1) }.max()! / scale
            XCTAssertLessThanOrEqual(diff, 1e-5, "\(ranks) ranks vs 1 process: max |dw| / max |w| = \(diff)")
            print("mpirun BatchNormalization: \(ranks) ranks vs 1 process, max |dw| / max |w| = \(diff)")
        }
    }
}
