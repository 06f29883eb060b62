// The Keras guide's "VGG-like convnet", in Swift.
// `vgg-like --bench` (or `--bench-only`) also measures training samples/second and how close the convolution GEMMs come to the
// machine's sgemm rate on the same shapes (see ConvBenchmark.swift).
import Foundation
import Strata

// Generate dummy data
let data = RandomData(seed: 3)
let xTrain = data.uniform([100, 100, 100, 3])
let yTrain = try toCategorical(data.integers(10, count: 100), numClasses: 10)
let xTest = data.uniform([20, 100, 100, 3])
let yTest = try toCategorical(data.integers(10, count: 20), numClasses: 10)

let model = Sequential(seed: 42)
// input: 100x100 images with 3 channels -> [100, 100, 3] tensors.
// this applies 32 convolution filters of size 3x3 each.
model.add(Conv2D(32, kernelSize: (3, 3), activation: .relu, inputShape: [100, 100, 3]))
model.add(Conv2D(32, kernelSize: (3, 3), activation: .relu))
model.add(MaxPooling2D(poolSize: (2, 2)))
model.add(Dropout(0.25))

model.add(Conv2D(64, kernelSize: (3, 3), activation: .relu))
model.add(Conv2D(64, kernelSize: (3, 3), activation: .relu))
model.add(MaxPooling2D(poolSize: (2, 2)))
model.add(Dropout(0.25))

model.add(Flatten())
model.add(Dense(256, activation: .relu))
model.add(Dropout(0.5))
model.add(Dense(10, activation: .softmax))

let sgd = SGD(learningRate: 0.01, momentum: 0.9, nesterov: true, decay: 1e-6)
model.compile(optimizer: sgd, loss: "categorical_crossentropy")

if CommandLine.arguments.contains("--bench-only") {  // the measurements alone, without training
    try model.build()
    ConvBenchmark.run(model: model, batch: 32)
    exit(0)
}

let epochs = 10
let start = Date()
let history = try model.fit(xTrain, yTrain, batchSize: 32, epochs: epochs)
let seconds = Date().timeIntervalSince(start)
let score = try model.evaluate(xTest, yTest, batchSize: 32)
print("test loss:", score)
let losses = history["loss"] ?? []
print("loss first epoch \(losses.first ?? .nan), last epoch \(losses.last ?? .nan)")
print(
    String(
        format: "training: %.1f samples/s (%d samples x %d epochs in %.2f s, OpenBLAS %@ x%d threads)",
        Double(100 * epochs) / seconds, 100, epochs, seconds, BLAS.coreName, BLAS.threads))

if CommandLine.arguments.contains("--bench") {
    ConvBenchmark.run(model: model, batch: 32)
}
