import Strata
import StrataRun

/// Opens the data files a config names.
enum Files {
    static func open(_ source: DataConfig.FileSource) throws -> Dataset {
        throw StrataError.file(path: source.file, "HDF5 data files are not available in this build", hint: "use data.synthetic")
    }
}
