import Foundation
import XCTest

/// Strata as a dependency: a user's package (Tests/ExternalPackage) that depends on this checkout by path builds
/// with every Swift example of README.md and of the DocC articles compiled into it, and its guide example gives the same run on 1 process as
/// under `launch/run -n 2`.
///
/// The package is copied to `.build/external-package/` (kept between runs, so only what changed rebuilds) with a
/// link `strata` to the checkout, as a user's clone would be named.
final class ExternalPackageTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testUserPackageBuildsReadmeExamplesAndAgreesOnOneAndTwoRanks() throws {
        let package = try Self.preparePackage()
        let build = try MPIJob.launch(["swift", "build", "--package-path", package.path], timeout: 1800)
        XCTAssertEqual(build.status, 0, "the user's package (with the README's examples) does not build:\n\(build.output)")
        guard build.status == 0 else { return }
        print(String(format: "external package: built in %.0f s", build.seconds))

        let guide = package.appendingPathComponent(".build/debug/guide").path
        let out = package.appendingPathComponent("report").path
        for n in 1...2 { try? FileManager.default.removeItem(atPath: out + "\(n).json") }  // never read a stale report
        let one = try MPIJob.launch([guide, out + "1.json"], timeout: 120)
        XCTAssertEqual(one.status, 0, one.output)
        let run = MPIJob.launchDirectory.appendingPathComponent("run").path
        let two = try MPIJob.launch([run, "-n", "2", "--", guide, out + "2.json"], timeout: 120)
        XCTAssertEqual(two.status, 0, two.output)

        let a = try Self.report(out + "1.json"), b = try Self.report(out + "2.json")
        XCTAssertEqual(a["size"] as? Int, 1)
        XCTAssertEqual(b["size"] as? Int, 2)
        let loss = a["loss"] as! [Double]
        XCTAssertEqual(loss.count, 4)
        XCTAssertLessThan(loss.last!, loss.first!, "loss goes down: \(loss)")
        let w1 = a["weights"] as! [Double], w2 = b["weights"] as! [Double]
        XCTAssertEqual(w1.count, w2.count)
        let scale = w1.map(abs).max()!
        let dw = zip(w1, w2).map { abs($0 - $1) }.max()! / scale
        XCTAssertLessThanOrEqual(dw, 1e-5, "2 ranks vs 1: max |dw| / max |w| = \(dw)")
        for key in ["loss", "accuracy", "val_loss", "predict"] {
            let p = a[key] as! [Double], q = b[key] as! [Double]
            XCTAssertEqual(p.count, q.count, key)
            for (u, v) in zip(p, q) { XCTAssertEqual(u, v, accuracy: 1e-5 + 1e-5 * abs(u), key) }
        }
        let e1 = a["evaluate"] as! [String: Double], e2 = b["evaluate"] as! [String: Double]
        XCTAssertEqual(Set(e1.keys), ["loss", "accuracy"], "evaluate(returnDict: true) names Keras's figures")
        for (k, v) in e1 { XCTAssertEqual(v, e2[k]!, accuracy: 1e-5 + 1e-5 * abs(v), k) }
        print(String(format: "external package guide example: 2 ranks vs 1 max |dw| / max |w| = %.2g", dw))
    }

    /// The extraction must find the README's examples: a README whose blocks stopped being found would test nothing.
    func testReadmeSwiftBlocksAreFound() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = ReadmeExamples.blocks(readme)
        XCTAssertGreaterThanOrEqual(blocks.count, 5, "README.md's ```swift blocks (manifests left out)")
        XCTAssertTrue(blocks.contains { $0.contains("model.fit(") }, "the README's fit example is among them")
        let source = ReadmeExamples.source(try Self.documents())
        XCTAssertFalse(source.contains("\nimport Strata\n    "), "import lines are hoisted out of the wrappers")
        XCTAssertTrue(source.contains("func gettingStartedExample1("), "the DocC articles' examples are compiled too")
    }

    /// Copies the package template, links `strata` to this checkout, writes the README's examples; files are
    /// rewritten only when their content changed (an unchanged package does not rebuild).
    static func preparePackage() throws -> URL {
        let fm = FileManager.default
        let template = root.appendingPathComponent("Tests/ExternalPackage")
        let package = root.appendingPathComponent(".build/external-package")
        try fm.createDirectory(at: package.appendingPathComponent("Sources/guide"), withIntermediateDirectories: true)
        try writeIfChanged(
            try Data(contentsOf: template.appendingPathComponent("Sources/guide/main.swift")),
            to: package.appendingPathComponent("Sources/guide/main.swift"))
        // SwiftPM re-plans a build when a manifest changes but may miss files added to a path dependency: the
        // manifest copy carries a digest of Strata's source file list, so a pulled new file re-plans the build.
        let manifest = try String(contentsOf: template.appendingPathComponent("Package.swift"), encoding: .utf8)
        try writeIfChanged(
            Data((manifest + "// Strata's source files: \(try sourceListDigest())\n").utf8),
            to: package.appendingPathComponent("Package.swift"))
        try writeIfChanged(
            Data(ReadmeExamples.source(try documents()).utf8), to: package.appendingPathComponent("Sources/guide/ReadmeExamples.swift"))
        let link = package.appendingPathComponent("strata")
        if (try? fm.destinationOfSymbolicLink(atPath: link.path)) != root.path {
            try? fm.removeItem(at: link)
            try fm.createSymbolicLink(atPath: link.path, withDestinationPath: root.path)
        }
        return package
    }

    /// README.md and the DocC catalog's articles, each with the name its examples' functions start with.
    static func documents() throws -> [(name: String, text: String)] {
        let catalog = root.appendingPathComponent("Sources/Strata/Strata.docc")
        let articles = try FileManager.default.contentsOfDirectory(atPath: catalog.path).filter { $0.hasSuffix(".md") }.sorted()
        return try [("readme", String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8))]
            + articles.map { file in
                (
                    file.prefix(1).lowercased() + file.dropFirst().dropLast(3),
                    try String(contentsOf: catalog.appendingPathComponent(file), encoding: .utf8)
                )
            }
    }

    /// FNV-1a over the sorted paths of the checkout's Sources/ files.
    static func sourceListDigest() throws -> String {
        let sources = root.appendingPathComponent("Sources")
        guard let walk = FileManager.default.enumerator(atPath: sources.path) else { return "none" }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for path in walk.allObjects.compactMap({ $0 as? String }).sorted() {
            for byte in path.utf8 + [0] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return String(hash, radix: 16)
    }

    static func writeIfChanged(_ data: Data, to url: URL) throws {
        if (try? Data(contentsOf: url)) != data { try data.write(to: url) }
    }

    static func report(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }
}

/// The ```swift blocks (but package manifests) of README.md and the DocC articles as one Swift file: each block becomes the body of a throwing function whose
/// parameters are the prelude, the variables the README's fragments use without declaring them (a block's own
/// `let model = ...` shadows the parameter). `import` lines move to the top of the file.
enum ReadmeExamples {
    static let prelude = """
        model: Sequential, x: [[Float]], y: Tensor, xVal: [[Float]], yVal: Tensor, xTest: Tensor, yTest: [[Float]],
            xNew: [[Float]], labels: [Int], xTrain: Tensor, yTrain: Tensor
        """

    static func blocks(_ readme: String) -> [String] {
        var blocks: [String] = [], current: [Substring]? = nil
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```swift") {
                current = []
            } else if let lines = current, line.hasPrefix("```") {
                // A package manifest shows a user's Package.swift (Tests/ExternalPackage has one), not API code.
                if !(lines.first?.hasPrefix("// swift-tools-version") ?? false) { blocks.append(lines.joined(separator: "\n")) }
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    static func source(_ documents: [(name: String, text: String)]) -> String {
        var out = "// Generated by ExternalPackageTests from the ```swift blocks of README.md and Sources/Strata/Strata.docc: edit those.\n"
        out += "import Foundation\nimport Strata\n"
        for (name, text) in documents {
            for (i, block) in blocks(text).enumerated() {
                let body = block.split(separator: "\n", omittingEmptySubsequences: false)
                    .filter { !$0.hasPrefix("import ") }
                    .map { "    " + $0 }.joined(separator: "\n")
                out += "\n// \(name), Swift block \(i + 1)\nfunc \(name)Example\(i + 1)(\(prelude)) throws {\n\(body)\n}\n"
            }
        }
        return out
    }
}
