// The Keras guide's "Sequence classification with 1D convolutions", in Swift
// (seq_length = 64 steps of 100 features, batch 16).
import Foundation
import Strata

let seqLength = 64

// Generate dummy data
let data = RandomData(seed: 4)
let xTrain = data.uniform([1000, seqLength, 100])
let yTrain = data.integerTensor(2, shape: [1000, 1])
let xTest = data.uniform([100, seqLength, 100])
let yTest = data.integerTensor(2, shape: [100, 1])

let model = Sequential(seed: 42)
model.add(Conv1D(64, kernelSize: 3, activation: .relu, inputShape: [seqLength, 100]))
model.add(Conv1D(64, kernelSize: 3, activation: .relu))
model.add(MaxPooling1D(poolSize: 3))
model.add(Conv1D(128, kernelSize: 3, activation: .relu))
model.add(Conv1D(128, kernelSize: 3, activation: .relu))
model.add(GlobalAveragePooling1D())
model.add(Dropout(0.5))
model.add(Dense(1, activation: .sigmoid))

model.compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy"])

let epochs = 10
let start = Date()
let history = try model.fit(xTrain, yTrain, batchSize: 16, epochs: epochs)
let seconds = Date().timeIntervalSince(start)
let score = try model.evaluate(xTest, yTest, batchSize: 16)
print("test loss, test accuracy:", score)
let losses = history["loss"] ?? []
print("loss first epoch \(losses.first ?? .nan), last epoch \(losses.last ?? .nan)")
print(String(format: "training: %.1f samples/s", Double(1000 * epochs) / seconds))
