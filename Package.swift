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
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),  // swift package generate-documentation
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // Strata's own C kernels (convolution, pooling, optimizer updates); CBLAS stays a pure OpenBLAS shim.
        .target(name: "CStrataKernels"),
        .target(name: "StrataCore", dependencies: ["CBLAS", "CStrataKernels"]),
        .target(name: "StrataMPI", dependencies: ["CMPI", "StrataCore"]),
        .target(name: "StrataHDF5", dependencies: ["CHDF5", "StrataCore"]),
        .target(name: "Strata", dependencies: ["StrataCore", "StrataMPI", "StrataHDF5"]),
        .executableTarget(
            name: "strata-mpi-check",
            dependencies: ["Strata", "StrataRun", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mlp-softmax", dependencies: ["Strata"], path: "Sources/Examples/mlp-softmax"),
        .executableTarget(name: "mlp-binary", dependencies: ["Strata"], path: "Sources/Examples/mlp-binary"),
        .executableTarget(name: "vgg-like", dependencies: ["Strata"], path: "Sources/Examples/vgg-like"),
        .executableTarget(name: "conv1d-seq", dependencies: ["Strata"], path: "Sources/Examples/conv1d-seq"),
        .executableTarget(name: "training-examples", dependencies: ["Strata"], path: "Sources/Examples/training-examples"),
        .executableTarget(name: "lstm-seq", dependencies: ["Strata"], path: "Sources/Examples/lstm-seq"),
        .executableTarget(name: "stacked-lstm", dependencies: ["Strata"], path: "Sources/Examples/stacked-lstm"),
        .executableTarget(name: "stateful-lstm", dependencies: ["Strata"], path: "Sources/Examples/stateful-lstm"),
        .executableTarget(name: "mnist-autoencoder", dependencies: ["Strata"], path: "Sources/Examples/mnist-autoencoder"),
        .executableTarget(name: "mnist-bn-cnn", dependencies: ["Strata"], path: "Sources/Examples/mnist-bn-cnn"),
        .executableTarget(name: "seq2seq-addition", dependencies: ["Strata"], path: "Sources/Examples/seq2seq-addition"),
        .target(name: "TestSupport", dependencies: ["StrataCore"], path: "Tests/TestSupport"),
        .testTarget(name: "StrataCoreTests", dependencies: ["StrataCore", "TestSupport"]),
        .testTarget(name: "StrataMPITests", dependencies: ["StrataMPI", "TestSupport", "strata-mpi-check", "StrataCLI", "strata-bench"]),
        .executableTarget(
            name: "strata-hdf5-check", dependencies: ["Strata", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "StrataHDF5Tests", dependencies: ["StrataHDF5", "Strata", "TestSupport", "strata-hdf5-check"]),
        .target(name: "StrataRun", dependencies: ["Strata", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "strata-bench", dependencies: ["StrataRun", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "StrataCLI", dependencies: ["StrataRun", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "StrataCLITests", dependencies: ["StrataRun", "TestSupport"]),
    ]
)
