import Foundation
import Strata
import StrataRun

/// `strata-bench checkpoint-io CONFIG... [--repeats N]`: what checkpoint checksums cost. For each config's model
/// (built, one step taken so every optimizer slot and the training state exist), the median seconds of
/// `Checkpoint.write` with checksums (Fletcher32 + HDF5 metadata checksums + the SHA-256 digest) and without, of
/// `Checkpoint.restore` from each file (the checksummed one verified first), and of `CheckpointDigest.verify`
/// alone; one `CKPT {json}` line per config (wall and CPU seconds).
func checkpointIO(_ args: [String], repeats: Int) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-ckpt-io-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for path in args {
        let config = try RunConfig.load(path)
        let runner = Runner(config: config, communicator: SingleProcess())
        func model() throws -> Sequential {
            let m = try runner.makeModel()
            if !m.isBuilt { try m.build() }
            return m
        }
        let m = try model()
        let input = m.inputShape ?? []
        let classes = m.layers.last.flatMap { ($0 as? Dense)?.units } ?? 1
        try m.fit(Tensor(zeros: [2] + input), Tensor(zeros: [2, classes]), batchSize: 2, epochs: 1, verbose: 0)
        // Wall seconds and this thread's CPU seconds (the work is single-threaded; CPU time is what a shared,
        // loaded machine does not inflate), medians over the repeats.
        func median(_ body: () throws -> Void) rethrows -> JSONValue {
            var wall: [Double] = [], cpu: [Double] = []
            func cpuNow() -> Double {
                var t = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
                return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
            }
            for _ in 0..<repeats {
                let start = DispatchTime.now(), c0 = cpuNow()
                try body()
                cpu.append(cpuNow() - c0)
                wall.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
            }
            return .object(["wall_s": .number(wall.sorted()[repeats / 2]), "cpu_s": .number(cpu.sorted()[repeats / 2])])
        }
        let on = dir + "/on.h5", off = dir + "/off.h5"
        let writeOn = try median { try Checkpoint.write(m, to: on, checksums: true) }
        let writeOff = try median { try Checkpoint.write(m, to: off, checksums: false) }
        let readers = try (0..<(2 * repeats)).map { _ in try model() }
        var next = 0
        let readOn = try median {
            _ = try Checkpoint.restore(readers[next], from: on); next += 1
        }
        let readOff = try median {
            _ = try Checkpoint.restore(readers[next], from: off); next += 1
        }
        let verify = try median { _ = try CheckpointDigest.verify(path: on) }
        func size(_ p: String) -> Double { Double((try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0) / 1e6 }
        let out: [String: JSONValue] = [
            "config": .string(path), "parameters": JSONValue(m.countParams()),
            "file_mb": .number(size(on)), "file_mb_without": .number(size(off)),
            "write": writeOn, "write_without": writeOff, "read": readOn, "read_without": readOff, "verify": verify,
        ]
        print("CKPT " + JSONValue.object(out).jsonText)
    }
}
