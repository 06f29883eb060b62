// A BatchNormalization CNN on the bundled MNIST digits (configs/data/mnist-5k.h5: 4000 training, 1000 test), the
// Swift twin of configs/mnist_bn_cnn.yaml. Under `mpirun -np N` the batch statistics of each BatchNormalization are
// the GLOBAL batch's (one small all-reduce per layer in forward and in backward), so N ranks train the same
// weights as one process.
//   swift run -c release mnist-bn-cnn [path/to/mnist-5k.h5]
//   launch/run -n 2 -- .build/release/mnist-bn-cnn
import Foundation
import Strata

let path = CommandLine.arguments.dropFirst().first ?? "configs/data/mnist-5k.h5"

/// Images scaled to [0, 1] as (n, 28, 28, 1) and one-hot labels.
func digits(_ x: String, _ y: String) throws -> (Tensor, Tensor) {
    let set = try HDF5Dataset(path: path, x: x, y: y)
    let raw = Tensor(zeros: [set.count] + set.xShape), labels = Tensor(zeros: [set.count])
    try set.read(Array(0..<set.count)[...], x: raw, y: labels)
    let images = try Tensor(shape: [set.count, 28, 28, 1], scalars: raw.scalars.map { $0 / 255 })
    return (images, try toCategorical(labels.scalars.map { Int($0) }, numClasses: 10))
}

let (xTrain, yTrain) = try digits("x_train", "y_train")
let (xTest, yTest) = try digits("x_test", "y_test")

let model = Sequential(
    [
        Conv2D(32, kernelSize: (3, 3), useBias: false, inputShape: [28, 28, 1]),  // BN's beta replaces the bias
        BatchNormalization(momentum: 0.9),  // 160 steps: 0.99 would leave the moving statistics unsettled
        Activation(.relu),
        MaxPooling2D(poolSize: (2, 2)),
        Conv2D(64, kernelSize: (3, 3), useBias: false),
        BatchNormalization(momentum: 0.9),  // 160 steps: 0.99 would leave the moving statistics unsettled
        Activation(.relu),
        MaxPooling2D(poolSize: (2, 2)),
        Flatten(),
        Dropout(0.5),
        Dense(10, activation: .softmax),
    ], seed: 42)
model.compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"])
let communicator = try MPICommunicator.automatic()
if communicator.rank == 0 { model.summary() }
try model.fit(xTrain, yTrain, batchSize: 128, epochs: 5, validationData: (xTest, yTest), communicator: communicator)
// evaluate and predict use the moving mean and variance (inference mode).
let score = try model.evaluate(xTest, yTest, batchSize: 128, communicator: communicator)
if communicator.rank == 0 { print("test: loss \(score[0]), accuracy \(score[1])") }
