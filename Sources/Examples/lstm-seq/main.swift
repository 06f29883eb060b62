// The Keras guide's "Sequence classification with LSTM", in Swift, on dummy data: 1,024 reviews of 80 word ids
// whose label says whether the first word id is in the upper half of the vocabulary.
// Usage: lstm-seq [samples] [epochs]
import Foundation
import Strata

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let samples = arguments.first ?? 1024
let epochs = arguments.dropFirst().first ?? 10
let maxFeatures = 20000
let maxLength = 80

let data = RandomData(seed: 7)
func reviews(_ n: Int, _ data: RandomData) -> (Tensor, Tensor) {
    let x = data.integerTensor(maxFeatures, shape: [n, maxLength])
    let y = Tensor(zeros: [n, 1])
    for i in 0..<n { y[i, 0] = x[i, 0] >= Float(maxFeatures / 2) ? 1 : 0 }
    return (x, y)
}
let (xTrain, yTrain) = reviews(samples, data)
let (xTest, yTest) = reviews(samples / 4, data)

let model = Sequential(seed: 42)
model.add(Embedding(maxFeatures, outputDim: 256))
model.add(LSTM(128))
model.add(Dropout(0.5))
model.add(Dense(1, activation: .sigmoid))

model.compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy"])

/// Times training from its first batch to its end (model building and weight initialisation excluded).
final class Timer: Callback {
    var start = Date(), seconds = 0.0
    func onTrainBegin(model: Sequential) throws { start = Date() }
    func onTrainEnd(model: Sequential, logs: [String: Double]) throws { seconds = Date().timeIntervalSince(start) }
}
let timer = Timer()
try model.fit(xTrain, yTrain, batchSize: 16, epochs: epochs, callbacks: [timer])
let seconds = timer.seconds
let score = try model.evaluate(xTest, yTest, batchSize: 16)
print("test loss, test accuracy:", score)
print(
    String(
        format: "training: %.0f samples/s (%d samples x %d epochs in %.1f s, %d BLAS threads, %@ kernels)",
        Double(samples * epochs) / seconds, samples, epochs, seconds, BLAS.threads, BLAS.coreName))
