// The Keras guide's "Stacked LSTM for sequence classification", in Swift: three LSTM layers, the first two
// returning their whole sequences, on the guide's dummy data.
// Usage: stacked-lstm [samples] [epochs]
import Foundation
import Strata

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let samples = arguments.first ?? 1000
let epochs = arguments.dropFirst().first ?? 5
let dataDim = 16
let timesteps = 8
let numClasses = 10

// expected input data shape: (batch_size, timesteps, data_dim)
let model = Sequential(seed: 42)
model.add(LSTM(32, returnSequences: true, inputShape: [timesteps, dataDim]))  // returns a sequence of vectors of dimension 32
model.add(LSTM(32, returnSequences: true))  // returns a sequence of vectors of dimension 32
model.add(LSTM(32))  // return a single vector of dimension 32
model.add(Dense(10, activation: .softmax))

model.compile(optimizer: "rmsprop", loss: "categorical_crossentropy", metrics: ["accuracy"])

// Generate dummy training data
let data = RandomData(seed: 1)
let xTrain = data.uniform([samples, timesteps, dataDim])
let yTrain = data.uniform([samples, numClasses])

// Generate dummy validation data
let xVal = data.uniform([100, timesteps, dataDim])
let yVal = data.uniform([100, numClasses])

/// Times training from its first batch to its end (model building and weight initialisation excluded).
final class Timer: Callback {
    var start = Date(), seconds = 0.0
    func onTrainBegin(model: Sequential) throws { start = Date() }
    func onTrainEnd(model: Sequential, logs: [String: Double]) throws { seconds = Date().timeIntervalSince(start) }
}
let timer = Timer()
try model.fit(xTrain, yTrain, batchSize: 64, epochs: epochs, callbacks: [timer], validationData: (xVal, yVal))
let seconds = timer.seconds
print(
    String(
        format: "training (with validation): %.0f samples/s (%d samples x %d epochs in %.2f s, %d BLAS threads, %@ kernels)",
        Double(samples * epochs) / seconds, samples, epochs, seconds, BLAS.threads, BLAS.coreName))
