import XCTest

@testable import StrataCore

/// The shared argument check every layer's `init(config:)` runs (`LayerConfig.checkArguments`).
final class LayerConfigTests: XCTestCase {
    private func message(_ className: String, _ config: [String: JSONValue]) -> String? {
        do {
            _ = try LayerRegistry.make(className: className, config: config)
            return nil
        } catch {
            return (error as? StrataError)?.errorDescription
        }
    }

    func testUnimplementedArgumentsFailNamingLayerAndArgumentUnlessNullOrStrataValue() {
        // Keras writes null for absent regularizers; L1/L2/L1L2 are implemented; any other would change training: refused.
        XCTAssertNil(message("Dense", ["units": 2, "kernel_regularizer": .null]))
        XCTAssertNil(message("Dense", ["units": 2, "kernel_regularizer": ["class_name": "L2"]]))
        let dense = message("Dense", ["name": "d1", "units": 2, "kernel_regularizer": ["class_name": "OrthogonalRegularizer"]])
        XCTAssertTrue(
            dense?.contains("layer 'd1'") == true && dense?.contains("'kernel_regularizer'") == true
                && dense?.contains("OrthogonalRegularizer") == true,
            dense ?? "no error")
        let dropout = message("Dropout", ["rate": 0.5, "noise_shape": [1, 4]])
        XCTAssertTrue(dropout?.contains("'noise_shape'") == true, dropout ?? "no error")
        XCTAssertNil(message("Conv2D", ["filters": 2, "kernel_size": 3, "groups": 1, "data_format": "channels_last"]))
        XCTAssertNotNil(message("Conv2D", ["filters": 2, "kernel_size": 3, "groups": 2]))
        XCTAssertNotNil(message("Flatten", ["data_format": "channels_first"]))
        XCTAssertNil(message("LSTM", ["units": 2, "recurrent_regularizer": ["class_name": "L1"]]))
        XCTAssertNotNil(message("LSTM", ["units": 2, "recurrent_regularizer": ["class_name": "OrthogonalRegularizer"]]))
    }

    func testUnknownArgumentStillSuggestsTheClosestKey() {
        let text = message("GlobalMaxPooling2D", ["keepdim": true])
        XCTAssertTrue(
            text?.contains("unknown GlobalMaxPooling2D argument 'keepdim'") == true
                && text?.contains("did you mean 'keepdims'") == true, text ?? "no error")
    }
}
