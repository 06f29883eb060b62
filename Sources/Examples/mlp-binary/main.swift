// The Keras guide's "MLP for binary classification", in Swift.
import Strata

// Generate dummy data
let data = RandomData(seed: 2)
let xTrain = data.uniform([1000, 20])
let yTrain = data.integerTensor(2, shape: [1000, 1])
let xTest = data.uniform([100, 20])
let yTest = data.integerTensor(2, shape: [100, 1])

let model = Sequential(seed: 42)
model.add(Dense(64, activation: .relu, inputDim: 20))
model.add(Dropout(0.5))
model.add(Dense(64, activation: .relu))
model.add(Dropout(0.5))
model.add(Dense(1, activation: .sigmoid))

model.compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy"])

try model.fit(xTrain, yTrain, batchSize: 128, epochs: 20)
let score = try model.evaluate(xTest, yTest, batchSize: 128)
print("test loss, test accuracy:", score)
