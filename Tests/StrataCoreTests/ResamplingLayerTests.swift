import XCTest

@testable import StrataCore

/// UpSampling1D/2D, ZeroPadding1D/2D and Cropping1D/2D against Keras fixtures (Tests/Fixtures/gen_conv2.py) and
/// finite differences.
final class ResamplingLayerTests: XCTestCase {
    func testMatchesKeras() throws {
        for name in [
            "upsampling2d_nearest", "upsampling2d_bilinear", "upsampling2d_bilinear_square", "upsampling1d",
            "zeropadding2d", "zeropadding2d_symmetric", "zeropadding1d", "cropping2d", "cropping1d",
        ] {
            try checkKerasFixture(name)
        }
    }

    func testFiniteDifferenceGradients() throws {
        let cases: [(Layer, [Int])] = [
            (UpSampling2D(size: (3, 2), interpolation: .bilinear), [3, 2, 2]),
            (UpSampling2D(size: (2, 2)), [2, 3, 1]),
            (UpSampling1D(size: 2), [3, 2]),
            (ZeroPadding2D(padding: ((0, 1), (2, 0))), [2, 2, 2]),
            (Cropping2D(cropping: ((1, 1), (0, 2))), [4, 4, 1]),
            (ZeroPadding1D(padding: (1, 0)), [3, 2]),
            (Cropping1D(cropping: (0, 2)), [5, 2]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            let h = try LayerHarness(layer, inputShape: shape)
            let x = normalTensor([2] + shape, seed: UInt64(i))
            let r = normalTensor([2] + h.outputShape, seed: UInt64(100 + i))
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r), 2e-3, "case \(i) \(layer.className)")
        }
    }

    func testConfigsReadEveryKerasForm() throws {
        func shape(_ cls: String, _ config: [String: JSONValue], _ input: [Int]) throws -> [Int] {
            var w = WeightAllocator()
            return try LayerRegistry.make(className: cls, config: config).build(inputShape: input, weights: &w)
        }
        XCTAssertEqual(try shape("ZeroPadding2D", ["padding": 1], [2, 3, 1]), [4, 5, 1])
        XCTAssertEqual(try shape("ZeroPadding2D", ["padding": [1, 2]], [2, 3, 1]), [4, 7, 1])
        XCTAssertEqual(try shape("ZeroPadding2D", ["padding": [[1, 0], [0, 3]]], [2, 3, 1]), [3, 6, 1])
        XCTAssertEqual(try shape("ZeroPadding1D", ["padding": [2, 0]], [3, 1]), [5, 1])
        XCTAssertEqual(try shape("Cropping2D", ["cropping": [[1, 0], [0, 1]]], [4, 4, 2]), [3, 3, 2])
        XCTAssertEqual(try shape("Cropping1D", [:], [4, 2]), [2, 2])
        XCTAssertEqual(try shape("UpSampling2D", ["size": [2, 3], "interpolation": "bilinear"], [2, 2, 1]), [4, 6, 1])
        XCTAssertEqual(try shape("UpSampling1D", ["size": 4], [2, 1]), [8, 1])
        for layer: Layer in [
            UpSampling2D(size: (2, 1), interpolation: .bilinear), UpSampling1D(size: 3), ZeroPadding2D(padding: ((1, 2), (3, 4))),
            ZeroPadding1D(padding: (1, 2)), Cropping2D(cropping: ((1, 0), (0, 1))), Cropping1D(cropping: (2, 1)),
        ] {
            XCTAssertEqual(try LayerRegistry.make(className: layer.className, config: layer.config).config, layer.config, layer.className)
        }
        XCTAssertThrowsError(try LayerRegistry.make(className: "UpSampling2D", config: ["interpolation": "bicubic"])) {
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("bicubic") ?? false)
        }
        XCTAssertThrowsError(try shape("Cropping2D", ["cropping": [[2, 2], [0, 0]]], [4, 4, 1])) {
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("removes all") ?? false)
        }
        XCTAssertThrowsError(try LayerRegistry.make(className: "ZeroPadding2D", config: ["padding": [-1, 0]]))
    }
}
