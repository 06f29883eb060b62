// The module users import: `import Strata` brings the whole public API (as NIO re-exports NIOCore).
@_exported import StrataCore
@_exported import StrataHDF5
@_exported import StrataMPI
