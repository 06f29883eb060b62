import StrataCore
import XCTest

/// Integers and floats stay apart in `JSONValue`, as in Python's `json` (Keras validates `momentum` is a float).
/// The expected texts are Python 3's `json.dumps(json.loads(text), sort_keys=True)` of the same input.
final class JSONValueTests: XCTestCase {
    func testFloatsAreWrittenAsFloatsAndIntsAsInts() {
        // Python: json.dumps(0.0) == "0.0", 1e-07 -> "1e-07", 1e16 -> "1e+16", 2**62 -> "4611686018427387904"
        let cases: [(JSONValue, String)] = [
            (0.0, "0.0"), (1.0, "1.0"), (-2.0, "-2.0"), (1e-07, "1e-07"), (0.5, "0.5"), (1e16, "1e+16"),
            (0, "0"), (1, "1"), (-2, "-2"), (32, "32"), (JSONValue(4_611_686_018_427_387_904), "4611686018427387904"),
            (JSONValue(Float(0)), "0.0"), (JSONValue(Float(1)), "1.0"), (JSONValue(Float(1e-7)), "1e-07"),
            (JSONValue(Float(0.01)), "0.01"), (JSONValue(3), "3"), (JSONValue([1, 2]), "[1, 2]"),
            (JSONValue(Double.nan), "NaN"), (JSONValue(-Double.infinity), "-Infinity"),
        ]
        for (v, text) in cases { XCTAssertEqual(v.jsonText, text) }
    }

    func testParseKeepsWhatTheTextSaid() throws {
        let text =
            #"{"a": [0.0, 1.0, -2.0, 1e-07, 1E+16, 32, -7, 0, 4611686018427387904, 2.5], "b": {"rate": 0.5, "units": 32}, "c": [NaN, Infinity, -Infinity], "s": "\u00e9\n\"", "t": true, "z": null}"#
        let v = try JSONValue.parse(text)
        // Python prints the same object as:
        let python =
            #"{"a": [0.0, 1.0, -2.0, 1e-07, 1e+16, 32, -7, 0, 4611686018427387904, 2.5], "b": {"rate": 0.5, "units": 32}, "c": [NaN, Infinity, -Infinity], "s": "\u00e9\n\"", "t": true, "z": null}"#
        XCTAssertEqual(v.jsonText, python.replacingOccurrences(of: #"\u00e9"#, with: "é"))
        XCTAssertEqual(try JSONValue.parse(v.jsonText).jsonText, v.jsonText)
        guard case .int(32)? = v["b"]?["units"], case .number(0.5)? = v["b"]?["rate"], case .number(1.0)? = v["a"]?.arrayValue?[1]
        else { return XCTFail("kinds lost: \(v)") }
    }

    func testAccessorsReadBothKinds() throws {
        XCTAssertEqual(JSONValue.int(3).doubleValue, 3)
        XCTAssertEqual(JSONValue.number(3).intValue, 3)
        XCTAssertNil(JSONValue.number(3.5).intValue)
        XCTAssertEqual(JSONValue.int(0), JSONValue.number(0), "numbers compare by value, so old files still match")
        XCTAssertNotEqual(JSONValue.int(1), JSONValue.number(1.5))
    }

    func testBadTextIsNamed() {
        for bad in ["{\"a\": }", "[1, 2", "01x", "\"open", "{\"a\" 1}", "1.", "-"] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad) {
                XCTAssertTrue((($0 as? LocalizedError)?.errorDescription ?? "").contains("not valid JSON"), "\(bad): \($0)")
            }
        }
    }
}
