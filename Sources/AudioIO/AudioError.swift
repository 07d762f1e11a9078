/// A decoding failure for one file: what went wrong, where, and why.
///
/// Overnight batches see every kind of broken input; each maps to one `Kind`
/// so the batch can record it, count failures by cause, and go on.
public struct AudioError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// The path does not exist, is a directory, or cannot be opened (permissions, I/O).
        case unreadable
        /// The file has zero bytes.
        case empty
        /// The file ends before the data its header announces (cut download, crash mid-write).
        case truncated
        /// Not an audio container libsndfile recognises (random bytes, a text file).
        case unrecognisedFormat = "unrecognised_format"
        /// A known container holding a codec libsndfile cannot decode.
        case unsupportedEncoding = "unsupported_encoding"
        /// A known container whose structure is broken.
        case malformed
        /// Float samples that are NaN or infinite.
        case nonFiniteSamples = "non_finite_samples"
        /// Sample rate or channel count outside what CallTriage analyses (8–96 kHz, 1–8 channels).
        case unsupportedLayout = "unsupported_layout"
    }

    public let kind: Kind
    public let path: String
    public let detail: String

    public init(_ kind: Kind, path: String, detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    /// One line: `path: kind: detail`.
    public var description: String { "\(path): \(kind.rawValue): \(detail)" }
}
