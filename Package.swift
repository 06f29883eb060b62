// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Strata",
    products: [
        .library(name: "Strata", targets: ["Strata"]),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .target(name: "StrataCore", dependencies: ["CBLAS"]),
        .target(name: "StrataHDF5", dependencies: ["CHDF5", "StrataCore"]),
        .target(name: "Strata", dependencies: ["StrataCore", "StrataHDF5"]),
        .executableTarget(name: "mlp-softmax", dependencies: ["Strata"], path: "Sources/Examples/mlp-softmax"),
        .executableTarget(name: "mlp-binary", dependencies: ["Strata"], path: "Sources/Examples/mlp-binary"),
        .executableTarget(name: "training-examples", dependencies: ["Strata"], path: "Sources/Examples/training-examples"),
        .target(name: "TestSupport", dependencies: ["StrataCore"], path: "Tests/TestSupport"),
        .testTarget(name: "StrataCoreTests", dependencies: ["StrataCore", "TestSupport"]),
        .executableTarget(name: "strata-hdf5-check", dependencies: ["Strata"]),
        .testTarget(name: "StrataHDF5Tests", dependencies: ["StrataHDF5", "Strata", "TestSupport", "strata-hdf5-check"]),
    ]
)
