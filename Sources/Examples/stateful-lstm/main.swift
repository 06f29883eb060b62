// The Keras guide's "Same stacked LSTM model, rendered stateful", in Swift: sample i of batch k continues
// sample i of batch k-1, so the batch size is fixed and the data is not shuffled.
import Strata

let dataDim = 16
let timesteps = 8
let numClasses = 10
let batchSize = 32

// Expected input batch shape: (batch_size, timesteps, data_dim)
// Note that we have to provide the full batchInputShape since the network is stateful.
// the sample of index i in batch k is the follow-up for the sample i in batch k-1.
let model = Sequential(seed: 42)
model.add(LSTM(32, returnSequences: true, stateful: true, batchInputShape: [batchSize, timesteps, dataDim]))
model.add(LSTM(32, returnSequences: true, stateful: true))
model.add(LSTM(32, stateful: true))
model.add(Dense(10, activation: .softmax))

model.compile(optimizer: "rmsprop", loss: "categorical_crossentropy", metrics: ["accuracy"])

// Generate dummy training data
let data = RandomData(seed: 1)
let xTrain = data.uniform([batchSize * 10, timesteps, dataDim])
let yTrain = data.uniform([batchSize * 10, numClasses])

// Generate dummy validation data
let xVal = data.uniform([batchSize * 3, timesteps, dataDim])
let yVal = data.uniform([batchSize * 3, numClasses])

try model.fit(xTrain, yTrain, batchSize: batchSize, epochs: 5, validationData: (xVal, yVal), shuffle: false)
// The states carried to the end of training: the last layer's h for the first stream.
let lastLSTM = model.layers[2] as! LSTM
print("final h of stream 0 (first 4 units):", Array(lastLSTM.states[0].scalars.prefix(4)))
model.resetStates()
print("after resetStates:", Array(lastLSTM.states[0].scalars.prefix(4)))
