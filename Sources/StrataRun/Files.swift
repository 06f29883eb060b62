import Strata

/// Opens the data files a config names (HDF5, read on demand by each rank's shard).
public enum Files {
    public static func open(_ source: DataConfig.FileSource) throws -> Dataset {
        try HDF5Dataset(path: source.file, x: source.x, y: source.y)
    }
}
