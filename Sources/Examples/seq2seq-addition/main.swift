// Keras's "Sequence to sequence learning for performing number addition" (keras-io examples/nlp/addition_rnn.py)
// in Swift: reversed questions "a+b" (7 one-hot characters of "0123456789+ ") to 4-character answers, on the
// deterministic data of configs/data/addition.h5 (configs/data/make_addition.py: 12,000 training and 1,200 test
// questions). An encoder LSTM reads the question, RepeatVector feeds its last state to every answer step, a decoder
// LSTM and a per-step softmax write the answer.
// Usage: seq2seq-addition [epochs]   (run from the repository root)
import Foundation
import Strata

let epochs = CommandLine.arguments.dropFirst().compactMap { Int($0) }.first ?? 30
let file = "configs/data/addition.h5"
let train = try HDF5Dataset(path: file, x: "x_train", y: "y_train")
let test = try HDF5Dataset(path: file, x: "x_test", y: "y_test")

let model = Sequential(seed: 42)
model.add(LSTM(128, inputShape: [7, 12]))
model.add(RepeatVector(4))
model.add(LSTM(128, returnSequences: true))
model.add(TimeDistributed(Dense(12, activation: .softmax)))
model.compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"])
model.summary()

try model.fit(train, batchSize: 32, epochs: epochs, validationData: test)
let score = try model.evaluate(test, batchSize: 32)
print("test loss, per-character accuracy:", score)

// Whole answers right: every one of the 4 characters.
let x = Tensor(zeros: [test.count, 7, 12]), y = Tensor(zeros: [test.count, 4, 12])
try test.read(Array(0..<test.count)[...], x: x, y: y)
let predictions = try model.predict(x, batchSize: 256)
func argmax(_ t: Tensor, _ row: Int) -> Int { (0..<12).max { t[flat: row * 12 + $0] < t[flat: row * 12 + $1] }! }
var right = 0
for n in 0..<test.count where (0..<4).allSatisfy({ argmax(predictions, n * 4 + $0) == argmax(y, n * 4 + $0) }) { right += 1 }
print(String(format: "whole answers right: %.1f%% of %d", 100 * Double(right) / Double(test.count), test.count))
