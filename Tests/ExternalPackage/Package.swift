// swift-tools-version:6.0
// A user's package that depends on Strata by path, as README "Using Strata from your own package" shows.
// ExternalPackageTests copies it to .build/external-package/, links `strata` there to the checkout, adds the
// README's Swift examples as Sources/guide/ReadmeExamples.swift, then builds and runs `guide`.
import PackageDescription

let package = Package(
    name: "StrataUser",
    dependencies: [
        .package(path: "strata")
    ],
    targets: [
        .executableTarget(name: "guide", dependencies: [.product(name: "Strata", package: "strata")])
    ]
)
