import Foundation

/// NumPy `.npy` (format 1.0) reading and writing for float32 matrices.
public enum NPY {
    public static func encode(_ m: FeatureMatrix) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(m.rows), \(m.cols)), }"
        // Magic (6) + version (2) + header length (2) + header, padded with spaces + "\n" to 64 bytes.
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let len = UInt16(header.utf8.count)
        d.append(UInt8(len & 0xff)); d.append(UInt8(len >> 8))
        d.append(contentsOf: Array(header.utf8))
        m.data.withUnsafeBufferPointer { p in
            // Little-endian float32 on every platform Swift runs on.
            d.append(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                         count: p.count * 4))
        }
        return d
    }

    public enum ReadError: Error, CustomStringConvertible {
        case notNPY(String), unsupported(String)
        public var description: String {
            switch self { case .notNPY(let s): return "not a .npy file: \(s)"; case .unsupported(let s): return "unsupported .npy: \(s)" }
        }
    }

    /// Reads a 1-D or 2-D little-endian float32 or float64 C-order array.
    public static func decode(_ d: Data) throws -> FeatureMatrix {
        let b = [UInt8](d)
        guard b.count >= 10, b[0] == 0x93, String(decoding: b[1..<6], as: UTF8.self) == "NUMPY" else {
            throw ReadError.notNPY("bad magic")
        }
        let major = b[6]
        var headerLen: Int, start: Int
        if major == 1 { headerLen = Int(b[8]) | Int(b[9]) << 8; start = 10 }
        else { headerLen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; start = 12 }
        guard b.count >= start + headerLen else { throw ReadError.notNPY("short header") }
        let header = String(decoding: b[start..<(start + headerLen)], as: UTF8.self)
        let isF4 = header.contains("'<f4'"), isF8 = header.contains("'<f8'")
        guard isF4 || isF8 else { throw ReadError.unsupported("dtype in \(header)") }
        guard !header.contains("'fortran_order': True") else { throw ReadError.unsupported("fortran order") }
        guard let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
            throw ReadError.notNPY("no shape")
        }
        let dims = header[header.index(after: open)..<close].split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let rows = dims.first ?? 1, cols = dims.count > 1 ? dims[1] : 1
        let body = start + headerLen
        let n = rows * cols
        var data = [Float](repeating: 0, count: n)
        let width = isF4 ? 4 : 8
        guard b.count >= body + n * width else { throw ReadError.notNPY("short data") }
        b.withUnsafeBufferPointer { p in
            let raw = UnsafeRawPointer(p.baseAddress! + body)
            for i in 0..<n {
                data[i] = isF4 ? raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
                               : Float(raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self))
            }
        }
        return FeatureMatrix(rows: rows, cols: cols, data: data)
    }
}
