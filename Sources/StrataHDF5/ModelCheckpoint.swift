import Foundation
import StrataCore

/// Keras `ModelCheckpoint(filepath)`: saves complete checkpoints (Keras legacy .h5 + Strata's training state)
/// during `fit`, which `fit(..., resumeFrom:)` continues bit for bit.
///
/// `filepath` may use Keras's placeholders: `{epoch}` / `{epoch:02d}` (1-based, as Keras), `{batch}`, and log
/// keys such as `{loss:.4f}`. Frequency: every epoch, every N optimizer steps, or every N seconds. `keep: N`
/// deletes all but the N newest files of the pattern, counting those earlier runs left in the directory (so a
/// resumed run still keeps N, not N more); `<stem>-latest.h5` beside them (for `ckpt-{epoch:02d}.h5`:
/// `ckpt-latest.h5`) is a symbolic link to the newest complete checkpoint. Every file is checksummed
/// (`CheckpointDigest`). Every rank first gathers the global states of
/// stateful RNN layers (rank order = batch row order); then rank 0 alone writes, atomically (temp file in the same
/// directory, flushed, renamed); the other ranks wait at a barrier, and a failed write is one error on every rank. An epoch's checkpoint is written once every callback has seen the epoch's end (at the next
/// epoch's start or when training ends), so it holds their final state.
public final class ModelCheckpoint: Callback {
    /// Saving every `n` batches reads the weights at batch end; saving per epoch does not.
    public var readsWeightsEachBatch: Bool {
        if case .epoch = saveFreq { return false }
        return true
    }
    /// Keras's `save_freq`: every epoch, every n steps, or every s seconds of training.
    public enum Frequency: Equatable, Sendable {
        case epoch
        case steps(Int)
        case seconds(Double)
    }

    public let filepath: String
    public let saveFreq: Frequency
    public let keep: Int?
    public let verbose: Int
    /// Files of this pattern, oldest first (for `keep`): those found at the start of training, then this run's.
    public private(set) var written: [String] = []
    /// The path of the newest complete checkpoint (`<stem>-latest.h5`).
    public let latestPath: String
    private var pendingEpoch: Int?
    private var lastLogs: [String: Double] = [:]
    private var lastSave = Date()

    public init(_ filepath: String, saveFreq: Frequency = .epoch, keep: Int? = nil, verbose: Int = 0) {
        self.filepath = filepath
        self.saveFreq = saveFreq
        self.keep = keep
        self.verbose = verbose
        latestPath = ModelCheckpoint.latestPath(for: filepath)
    }

    /// `<dir>/<stem>-latest.h5`, the stem being the file name up to its first placeholder.
    public static func latestPath(for filepath: String) -> String {
        let url = URL(fileURLWithPath: filepath)
        let name = url.lastPathComponent
        var stem = String(name.prefix { $0 != "{" })
        if stem == name { stem = (name as NSString).deletingPathExtension }
        while let c = stem.last, "-_.".contains(c) { stem.removeLast() }
        let ext = url.pathExtension.isEmpty ? "h5" : url.pathExtension
        return url.deletingLastPathComponent().appendingPathComponent((stem.isEmpty ? "ckpt" : stem) + "-latest." + ext).path
    }

    public func onTrainBegin(context: TrainingContext) throws {
        lastSave = Date()
        pendingEpoch = nil
        if context.communicator.rank == 0 {
            removeStaleTempFiles()
            written = existingFiles()
        }
    }

    /// `path` absolute and standardized, so a file found in the directory and one this run names compare equal.
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// The files in the checkpoint directory that this pattern could have written (not `-latest`, not temp
    /// files), oldest first by modification time, then by name.
    func existingFiles() -> [String] {
        let url = URL(fileURLWithPath: filepath)
        let dir = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        guard name.contains("{"), let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        // Literal parts escaped; `{epoch}`/`{batch}` digits, a log value a formatted number (never other files).
        var pattern = "^"
        var rest = Substring(name)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let key = rest[rest.index(after: open)..<close].prefix { $0 != ":" }
            pattern +=
                NSRegularExpression.escapedPattern(for: String(rest[..<open]))
                + (key == "epoch" || key == "batch" ? "[0-9]+" : "(?:[-+0-9.eE]+|-?nan|-?inf)")
            rest = rest[rest.index(after: close)...]
        }
        pattern += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        let latest = URL(fileURLWithPath: latestPath).lastPathComponent
        let found: [(String, Date)] = files.compactMap { f in
            guard f != latest, !f.contains(".tmp."),
                re.firstMatch(in: f, range: NSRange(f.startIndex..., in: f)) != nil
            else { return nil }
            let path = Self.absolute(dir + "/" + f)
            let date = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            return (path, date)
        }
        return found.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.0)
    }

    /// Deletes temp files (`*.tmp.<pid>`) that a killed writer left in the checkpoint directory.
    private func removeStaleTempFiles() {
        let dir = URL(fileURLWithPath: filepath).deletingLastPathComponent().path
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for f in files {
            guard let r = f.range(of: ".tmp.", options: .backwards), let pid = Int32(f[r.upperBound...]) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: dir + "/" + f) }
        }
    }

    public func onEpochBegin(_ epoch: Int, context: TrainingContext) throws {
        if let e = pendingEpoch { try save(context, epoch: e, batch: nil) }
    }

    public func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
        lastLogs = logs
        switch saveFreq {
        case .epoch: return
        case let .steps(n):
            guard n > 0, let it = context.model.optimizerState?.iterations, it % n == 0 else { return }
        case let .seconds(s):
            // Every rank must take the same decision: rank 0's clock decides.
            let due = Date().timeIntervalSince(lastSave) >= s
            guard try context.communicator.broadcast(due ? "1" : "0", root: 0) == "1" else { return }
        }
        try save(context, epoch: context.state.epoch, batch: batch)
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
        lastLogs = logs
        if saveFreq == .epoch { pendingEpoch = epoch }
    }

    public func onTrainEnd(logs: [String: Double], context: TrainingContext) throws {
        if let e = pendingEpoch { try save(context, epoch: e, batch: nil) }
    }

    /// The file name for `epoch` (0-based) and `batch`, Keras style.
    public func format(epoch: Int, batch: Int?, logs: [String: Double]) -> String {
        var out = ""
        var rest = Substring(filepath)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let field = rest[rest.index(after: open)..<close]
            let parts = field.split(separator: ":", maxSplits: 1).map(String.init)
            let key = parts.first ?? ""
            let spec = parts.count > 1 ? parts[1] : ""
            let value: Double? = key == "epoch" ? Double(epoch + 1) : key == "batch" ? Double((batch ?? -1) + 1) : logs[key]
            if let value {
                if spec.hasSuffix("d") {
                    out += String(format: "%" + spec.replacingOccurrences(of: "d", with: "ld"), Int(value))
                } else if spec.hasSuffix("f") || spec.hasSuffix("e") || spec.hasSuffix("g") {
                    out += String(format: "%" + spec, value)
                } else {
                    out += key == "epoch" || key == "batch" ? String(Int(value)) : String(value)
                }
            } else {
                out += "{" + field + "}"
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    private func save(_ context: TrainingContext, epoch: Int, batch: Int?) throws {
        pendingEpoch = nil
        lastSave = Date()
        let model = context.model, comm = context.communicator
        let path = format(epoch: epoch, batch: batch, logs: lastLogs)
        // Every rank takes part in gathering the global RNN states before rank 0 writes them.
        let states = try model.gatherStates(comm)
        // And in gathering the optimizer slots, which a sharded run (ZeRO-1) keeps in parts.
        let slots = try model.optimizerState?.gatheredSlots(comm)
        var failure: Error?
        if comm.rank == 0 {
            do {
                if verbose > 0 { print("\nEpoch \(epoch + 1): saving model to \(path)") }
                try Checkpoint.write(model, to: path, context: context, states: states, slots: slots)
                try linkLatest(path)
                let full = Self.absolute(path)
                written.removeAll { $0 == full }  // rewritten: now the newest
                written.append(full)
                if let keep, keep > 0 {
                    while written.count > keep {
                        let old = written.removeFirst()
                        try? FileManager.default.removeItem(atPath: old)
                    }
                }
            } catch { failure = error }
        }
        if try comm.any(failure != nil) {
            if let failure { throw failure }
            throw StrataError.distributed(rank: 0, "writing checkpoint \(path) failed")
        }
        try comm.barrier()
    }

    /// Points `latestPath` at `path` atomically: a relative symbolic link (`ckpt-latest.h5 -> ckpt-02.h5`) made
    /// under a temp name, then renamed over the old one; a copy where links are not supported. A link, not a
    /// hard link: damaging the newest file shows under both names, never in an older checkpoint, and `resume:
    /// auto` never reads the link (it verifies the checkpoints themselves, newest first).
    private func linkLatest(_ path: String) throws {
        let tmp = latestPath + ".tmp.\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: tmp)
        let sameDir =
            URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL
            == URL(fileURLWithPath: latestPath).deletingLastPathComponent().standardizedFileURL
        let target = sameDir ? URL(fileURLWithPath: path).lastPathComponent : Self.absolute(path)
        if symlink(target, tmp) != 0 { try FileManager.default.copyItem(atPath: path, toPath: tmp) }
        if rename(tmp, latestPath) != 0 {
            throw StrataError.file(path: latestPath, "cannot rename into place (errno \(errno))", hint: "check the directory's permissions")
        }
    }
}
