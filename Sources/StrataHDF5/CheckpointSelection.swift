import Foundation
import StrataCore

/// Which checkpoint a run resumes from, and how every rank gets it.
///
/// Given a run directory, the newest checkpoint that verifies (`CheckpointDigest`) is taken; damaged ones are
/// skipped, each with the reason. Under MPI rank 0 alone chooses, verifies and reads the file, then broadcasts its
/// decision and the file's bytes; every rank restores from that same in-memory image (so checkpoints may live
/// on a disk only rank 0 sees, and all ranks resume from identical bytes).
public enum CheckpointSelection {
    /// A checkpoint file passed over, and why.
    public struct Skipped: Sendable, Equatable {
        public let path: String
        public let reason: String
    }

    /// The file chosen (read and verified by rank 0), the bytes every rank restores from, and what was skipped.
    public struct Choice {
        public let path: String
        public let skipped: [Skipped]
        /// The file as rank 0 read it; every rank opens this image.
        public let image: [UInt8]
        /// Rank 0's verification (unverified for a file older Strata wrote); nil on the other ranks.
        public let verification: CheckpointDigest.Verification?

        /// The chosen checkpoint, opened from the image.
        public func open() throws -> HDF5.File { try HDF5.File.open(image: image, name: path) }
    }

    /// The files in `dir` that may be checkpoints, newest first (modification time, then name): `.h5`/`.hdf5`
    /// regular files, not the `*-latest.h5` link and not temp files of an unfinished write.
    public static func candidates(in dir: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        let found: [(String, Date)] = names.compactMap { name in
            let path = URL(fileURLWithPath: dir).appendingPathComponent(name).path
            guard name.hasSuffix(".h5") || name.hasSuffix(".hdf5"), !name.contains(".tmp."),
                !(name as NSString).deletingPathExtension.hasSuffix("-latest"),
                let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { return nil }
            return (path, attributes[.modificationDate] as? Date ?? .distantPast)
        }
        return found.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 > $1.0 }.map(\.0)
    }

    /// Whether `location` is a directory.
    static func isDirectory(_ location: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: location, isDirectory: &dir) && dir.boolValue
    }

    /// Reads `path` and checks it is an intact Strata checkpoint: (the bytes, the verification summary).
    static func readVerified(_ path: String) throws -> ([UInt8], CheckpointDigest.Verification) {
        let image = try CheckpointDigest.read(path)
        let f = try CheckpointDigest.open(image: image, name: path)
        let v = try CheckpointDigest.verify(f)
        guard try Checkpoint.hasTrainingState(f) else {
            throw StrataError.file(
                path: path, "no training state: this .h5 holds a model but not a Strata checkpoint",
                hint: "resume from a file written by ModelCheckpoint")
        }
        return (image, v)
    }

    /// Rank 0's choice for `location`: a file is read and verified (its failure is the error); a directory gives
    /// its newest checkpoint that verifies. Throws when the directory holds none that does, listing each.
    public static func choose(_ location: String) throws -> Choice {
        guard isDirectory(location) else {
            let (image, summary) = try readVerified(location)
            return Choice(path: location, skipped: [], image: image, verification: summary)
        }
        var skipped: [Skipped] = []
        for path in candidates(in: location) {
            do {
                let (image, summary) = try readVerified(path)
                return Choice(path: path, skipped: skipped, image: image, verification: summary)
            } catch {
                skipped.append(Skipped(path: path, reason: CheckpointDigest.describe(error)))
            }
        }
        if skipped.isEmpty {
            throw StrataError.file(
                path: location, "no checkpoint to resume from in this directory",
                hint: "train without resuming first, or name a checkpoint file")
        }
        throw StrataError.file(
            path: location, "no checkpoint in this directory verifies:" + skipped.map { "\n  \($0.path): \($0.reason)" }.joined(),
            hint: "\nrestore an intact copy, or start a new run (run.resume: never, or another run directory)")
    }

    /// Every rank: rank 0 chooses (`choose`), prints which files it skipped and why (and, when `announce`, the
    /// file a directory resolved to), and broadcasts its decision and the file's bytes; a failure on rank 0 is
    /// the same error on every rank.
    public static func load(_ location: String, communicator comm: Communicator, announce: Bool = true) throws -> Choice {
        var mine: Choice?
        var decision = ""
        if comm.rank == 0 {
            do {
                let c = try choose(location)
                mine = c
                decision = "ok\n" + c.path
            } catch {
                // The other ranks wait in the broadcast for this decision: they get the error too.
                _ = try comm.broadcast("error\n" + ((error as? LocalizedError)?.errorDescription ?? "\(error)"), root: 0)
                throw error
            }
        }
        decision = try comm.broadcast(decision, root: 0)
        let parts = decision.split(separator: "\n", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "ok" else {
            throw StrataError.distributed(rank: 0, parts.count == 2 ? parts[1] : decision)
        }
        var image = mine?.image ?? []
        try comm.broadcast(&image, root: 0)
        if let mine {
            for s in mine.skipped { print("strata: skipped \(s.path): \(s.reason)") }
            if let v = mine.verification, let reason = v.unverifiedReason {
                print("strata: note: \(mine.path): \(reason); resuming without verification")
            }
            if announce && isDirectory(location) {
                print("Resuming from \(mine.path)" + (mine.skipped.isEmpty ? "" : " (the newest checkpoint that verifies)"))
            }
            return mine
        }
        return Choice(path: parts[1], skipped: [], image: image, verification: nil)
    }

    /// `strata inspect --verify`: each checkpoint of `location` (a file, or every candidate of a directory,
    /// newest first) with its verification result or what failed.
    public static func verifyAll(_ location: String) -> [(path: String, result: Result<CheckpointDigest.Verification, Error>)] {
        let paths = isDirectory(location) ? candidates(in: location) : [location]
        return paths.map { p in
            (p, Result { try CheckpointDigest.verify(path: p) })
        }
    }
}
