import Foundation
import StrataCore

/// The checksums a Strata checkpoint carries so that a damaged file is found before it is trained on.
///
/// Every non-empty dataset is stored in chunks guarded by HDF5's Fletcher32 filter, and the HDF5 1.8 format
/// checksums the file's metadata (object headers, B-trees): HDF5 checks both on every read, in Strata, h5py and
/// Keras alike. Neither covers the bytes of variable-length string attributes (`model_config`,
/// `training_config`, the optimizer config, seed and fingerprints of the training state), which HDF5 keeps in an
/// unchecked heap. So the writer also records, in the root attribute `strata_digest`, a SHA-256 of every
/// attribute (its values), every dataset (its type, shape and filter; its values too where no Fletcher32 guards
/// them) and every group, and of that list itself; `verify` recomputes them, reads every chunk (so each
/// Fletcher32 is checked) and names each region that fails. Keras ignores the attribute.
public enum CheckpointDigest {
    public static let attribute = "strata_digest"
    static let header = "strata-digest 1 sha256"

    /// What `verify` found in a file that did not fail.
    public struct Verification: Sendable {
        public let path: String
        /// Objects (attributes, datasets, groups) whose recorded SHA-256 matched; 0 when unverified.
        public let objects: Int
        /// Datasets whose chunks carry HDF5 Fletcher32 checksums (all verified by the reads).
        public let fletcher32Datasets: Int
        /// Why the file could not be verified (written before Strata recorded checksums, or by Keras); nil if verified.
        public let unverifiedReason: String?

        public var isVerified: Bool { unverifiedReason == nil }
        public var summary: String {
            if let unverifiedReason { return "not verified: \(unverifiedReason)" }
            return "\(objects) objects match their recorded SHA-256, every chunk of \(fletcher32Datasets) datasets its Fletcher32"
        }
    }

    // MARK: recording

    /// Records the digest of everything now in `f` (call last, before closing).
    static func record(in f: HDF5.File) throws {
        var lines: [String] = []
        try walk(f, readingGuarded: false) { key, bytes in lines.append(SHA256.hex(of: try bytes()) + " " + key) }
        try f.setString(attribute, manifest(lines))
    }

    /// The stored text: header, one `<sha256> <key>` line per object (sorted by key), then the SHA-256 of those lines.
    static func manifest(_ lines: [String]) -> String {
        let body =
            ([header] + lines.sorted { $0.split(separator: " ", maxSplits: 1)[1] < $1.split(separator: " ", maxSplits: 1)[1] })
            .joined(separator: "\n") + "\n"
        return body + SHA256.hex(of: Array(body.utf8)) + " manifest\n"
    }

    /// Visits every object of `f` except the digest attribute: groups (`/path/`), datasets (`/path`) and
    /// attributes (`/path@name`), with a function giving its canonical bytes.
    static func walk(_ f: HDF5.File, readingGuarded: Bool, _ visit: (String, () throws -> [UInt8]) throws -> Void) throws {
        func attributes(_ o: HDF5.Object) throws {
            for name in try o.attributeNames() where !(o.path == "/" && name == attribute) {
                try visit("\(o.path)@\(name)") { try o.attributeBytes(name) }
            }
        }
        func group(_ g: HDF5.Group) throws {
            try visit(g.path == "/" ? "/" : g.path + "/") { Array("g".utf8) }
            try attributes(g)
            for name in try g.childNames() {
                switch g.childKind(name) {
                case .group?: try group(try g.group(name))
                case .dataset?:
                    let d = try g.dataset(name)
                    try visit(d.path) { try d.digestBytes(readingGuarded: readingGuarded) }
                    try attributes(d)
                default:
                    let p = g.path == "/" ? "/" + name : g.path + "/" + name
                    let failure = g.openFailure(name)
                    try visit(p) {
                        throw StrataError.file(
                            path: g.file,
                            failure.map { "HDF5 cannot open it: \($0)" }
                                ?? "'\(p)' is neither a group nor a dataset", hint: "")
                    }
                }
            }
        }
        try group(f)
    }

    // MARK: verifying

    /// Reads `path` and verifies it (`verify(_: HDF5.File)`) from those bytes (never through a handle this process
    /// may hold open, whose caches would show the file as it was); a file HDF5 cannot open (truncated, damaged
    /// structure) is the same kind of error, naming the file.
    public static func verify(path: String) throws -> Verification {
        try verify(try open(image: try read(path), name: path))
    }

    /// The bytes of `path`, or an error naming it.
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StrataError.file(
                path: path, FileManager.default.fileExists(atPath: path) ? "the file is not readable" : "no such file",
                hint: "check the path and its permissions")
        }
        return [UInt8](data)
    }

    /// `image` opened as an HDF5 file; failing to open is reported as damage.
    static func open(image: [UInt8], name: String) throws -> HDF5.File {
        do { return try HDF5.File.open(image: image, name: name) } catch let StrataError.file(p, what, _) {
            throw damaged(p, ["the file cannot be opened, so it is truncated or its HDF5 structure is damaged (\(what))"])
        }
    }

    /// Recomputes every checksum of `f` and throws ONE error naming the file and every region that failed: an
    /// object whose SHA-256 differs from the recorded one, one HDF5 cannot read (a Fletcher32 or metadata
    /// checksum failing, a truncated file), one missing or added since writing, or a damaged record. A file
    /// without `strata_digest` (older Strata, Keras) is not an error: its `Verification` says it is unverified.
    public static func verify(_ f: HDF5.File) throws -> Verification {
        guard f.hasAttribute(attribute) else {
            return Verification(
                path: f.file, objects: 0, fletcher32Datasets: 0,
                unverifiedReason: "no checksums recorded (written by Keras or by a Strata before checksums)")
        }
        let text: String
        do { text = try f.string(attribute) ?? "" } catch {
            throw damaged(f.file, ["the recorded checksums (root attribute \(attribute)) cannot be read: \(describe(error))"])
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.count >= 2, lines[0] == header, let last = lines.last, last.hasSuffix(" manifest"),
            SHA256.hex(of: Array((lines.dropLast().joined(separator: "\n") + "\n").utf8)) + " manifest" == last
        else {
            throw damaged(f.file, ["the recorded checksums (root attribute \(attribute)) are themselves damaged"])
        }
        var recorded: [String: String] = [:]
        for line in lines.dropFirst().dropLast() {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2 { recorded[parts[1]] = parts[0] }
        }
        var failures: [String] = []
        var seen = Set<String>()
        var fletcher = 0
        do {
            try walk(f, readingGuarded: true) { key, bytes in
                seen.insert(key)
                do {
                    let hex = SHA256.hex(of: try bytes())
                    if recorded[key] == nil {
                        failures.append("\(region(key)) was added after the file was written")
                    } else if recorded[key] != hex {
                        failures.append("\(region(key)) does not match the checksum recorded when the file was written")
                    }
                } catch {
                    failures.append("\(region(key)) cannot be read: \(describe(error))")
                }
            }
        } catch {
            failures.append("the file's structure cannot be read: \(describe(error))")
        }
        for key in recorded.keys.sorted() where !seen.contains(key) {
            failures.append("\(region(key)) is missing")
        }
        if !failures.isEmpty { throw damaged(f.file, failures) }
        try countFletcher32(f, &fletcher)
        return Verification(path: f.file, objects: recorded.count, fletcher32Datasets: fletcher, unverifiedReason: nil)
    }

    /// The verification every reader of a checkpoint does first: a damaged file is an error; an unverifiable
    /// Strata checkpoint (older Strata) loads with a note on stderr; a file from Keras loads silently.
    static func verifyForReading(_ f: HDF5.File) throws {
        let v = try verify(f)
        if let reason = v.unverifiedReason, f.contains(Checkpoint.stateGroup) {
            FileHandle.standardError.write(Data("strata: note: \(f.file): \(reason); loaded without verification\n".utf8))
        }
    }

    private static func countFletcher32(_ g: HDF5.Group, _ n: inout Int) throws {
        for name in try g.childNames() {
            switch g.childKind(name) {
            case .group?: try countFletcher32(try g.group(name), &n)
            case .dataset?: if try g.dataset(name).hasFletcher32 { n += 1 }
            default: break
            }
        }
    }

    /// What a key is, in the user's words: a weight, an optimizer slot, the training state, the model config.
    public static func region(_ key: String) -> String {
        let (path, attr): (String, String?) =
            key.firstIndex(of: "@").map { (String(key[..<$0]), String(key[key.index(after: $0)...])) } ?? (key, nil)
        let state = "/" + Checkpoint.stateGroup
        if let attr {
            switch (path, attr) {
            case ("/", "model_config"): return "the model config (root attribute model_config)"
            case ("/", "training_config"): return "the training config (root attribute training_config)"
            default:
                if path == state || path.hasPrefix(state + "/") { return "the training state (attribute '\(attr)' of \(path))" }
                return "attribute '\(attr)' of \(path)"
            }
        }
        if path.hasPrefix("/model_weights/") && !path.hasSuffix("/") {
            let parts = path.split(separator: "/").dropFirst()  // layer, weight name (which may contain '/')
            return "weight '\(parts.dropFirst().joined(separator: "/"))' of layer '\(parts.first ?? "")' (dataset \(path))"
        }
        if path.hasPrefix(state + "/optimizer_slots/") {
            return "optimizer slot '\(path.split(separator: "/").last ?? "")' (dataset \(path))"
        }
        if path.hasPrefix(state + "/rnn_states/") { return "the RNN states (dataset \(path))" }
        if path.hasPrefix(state + "/") && !path.hasSuffix("/") { return "the training state (dataset \(path))" }
        return path.hasSuffix("/") ? "group \(path)" : "dataset \(path)"
    }

    static func describe(_ error: Error) -> String {
        if case let StrataError.file(_, what, _) = error { return what }
        return (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }

    static func damaged(_ path: String, _ failures: [String]) -> StrataError {
        let shown =
            failures.prefix(8).map { "\n  - " + $0 }.joined() + (failures.count > 8 ? "\n  - ... and \(failures.count - 8) more" : "")
        return StrataError.file(
            path: path, "the checkpoint is damaged (it changed after it was written):" + shown,
            hint:
                "\nUse an intact copy, or resume from an older checkpoint: run.resume: auto (or fit(resumeFrom: the run directory)) takes the newest one that verifies; `strata inspect --verify DIR` checks each"
        )
    }
}
