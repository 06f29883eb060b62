// The Keras guide's "MLP for multi-class softmax classification", in Swift.
import Strata

// Generate dummy data
let x = RandomData(seed: 1)
let xTrain = x.uniform([1000, 20])
let yTrain = try toCategorical(x.integers(10, count: 1000), numClasses: 10)
let xTest = x.uniform([100, 20])
let yTest = try toCategorical(x.integers(10, count: 100), numClasses: 10)

let model = Sequential(seed: 42)
// Dense(64) is a fully-connected layer with 64 hidden units.
// in the first layer, you must specify the expected input data shape:
// here, 20-dimensional vectors.
model.add(Dense(64, activation: .relu, inputDim: 20))
model.add(Dropout(0.5))
model.add(Dense(64, activation: .relu))
model.add(Dropout(0.5))
model.add(Dense(10, activation: .softmax))

let sgd = SGD(lr: 0.01, decay: 1e-6, momentum: 0.9, nesterov: true)
model.compile(optimizer: sgd, loss: "categorical_crossentropy", metrics: ["accuracy"])

try model.fit(xTrain, yTrain, batchSize: 128, epochs: 20)
let score = try model.evaluate(xTest, yTest, batchSize: 128)
print("test loss, test accuracy:", score)
