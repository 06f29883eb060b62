import XCTest

@testable import StrataCore

final class TensorTests: XCTestCase {
    func testViewsShareStorage() throws {
        let t = try Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let r = t.rows(1..<3)
        XCTAssertEqual(r.scalars, [3, 4, 5, 6])
        r[flat: 0] = 30
        XCTAssertEqual(t[1, 0], 30)
        XCTAssertEqual(try t.reshaped([6])[flat: 2], 30)
    }

    func testToCategoricalMatchesKeras() {
        // keras.utils.to_categorical([0, 2, 1], 3)
        XCTAssertEqual(try toCategorical([0, 2, 1], numClasses: 3).scalars, [1, 0, 0, 0, 0, 1, 0, 1, 0])
        XCTAssertEqual(try toCategorical(try Tensor(shape: [2, 1], scalars: [1, 3])).shape, [2, 4])
    }
}
