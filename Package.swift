// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Strata",
    products: [
        .library(name: "Strata", targets: ["Strata"]),
        .executable(name: "strata", targets: ["StrataCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "StrataCore", dependencies: ["CBLAS"]),
        .target(name: "Strata", dependencies: ["StrataCore"]),
        .executableTarget(name: "mlp-softmax", dependencies: ["Strata"], path: "Sources/Examples/mlp-softmax"),
        .executableTarget(name: "mlp-binary", dependencies: ["Strata"], path: "Sources/Examples/mlp-binary"),
        .executableTarget(name: "training-examples", dependencies: ["Strata"], path: "Sources/Examples/training-examples"),
        .target(name: "TestSupport", dependencies: ["StrataCore"], path: "Tests/TestSupport"),
        .testTarget(name: "StrataCoreTests", dependencies: ["StrataCore", "TestSupport"]),
        .target(name: "StrataRun", dependencies: ["Strata", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "StrataCLI", dependencies: ["StrataRun", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "StrataCLITests", dependencies: ["StrataRun", "TestSupport"]),
    ]
)
