import Foundation

/// Masks personal numbers in text shown to reviewers or exported: mainland ID numbers (18 digits,
/// last may be X; also 15-digit old ones), mobile numbers (11 digits starting 1[3-9]), landlines
/// (0 + area code + 7–8 digits, or a bare 7–8 digit number), and the same said in Chinese digits
/// (幺三八…). Separators (spaces, dashes) inside a number are tolerated. Kept: an ID's first 6
/// digits (region) and last 4, a phone's first 3 and last 4 — enough for a reviewer to recognise,
/// not enough to misuse.
public enum Masking {
    static let digitClass = "[0-9０-９零〇一二三四五六七八九幺两]"
    static let id18 = try! NSRegularExpression(pattern: "(?<![0-9])(\(digitClass)(?:[ -]?\(digitClass)){16}[ -]?[0-9０-９零〇一二三四五六七八九幺两Xx])(?![0-9])")
    static let digitRun = try! NSRegularExpression(pattern: "(?<![0-9０-９])\(digitClass)(?:[ -]?\(digitClass)){6,}(?![0-9０-９])")

    static let chineseDigits: [Character: Character] = [
        "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5",
        "六": "6", "七": "7", "八": "8", "九": "9",
    ]

    static func digits(_ s: String) -> [Character] {
        s.compactMap { c -> Character? in
            if let d = chineseDigits[c] { return d }
            if let v = c.unicodeScalars.first?.value, (0xFF10...0xFF19).contains(v) { return Character(UnicodeScalar(v - 0xFF10 + 48)!) }
            if c.isASCII && c.isNumber { return c }
            if c == "X" || c == "x" { return "X" }
            return nil
        }
    }

    /// What a run of digits is, if it is a personal number.
    static func kind(_ d: [Character]) -> String? {
        switch d.count {
        case 18: return "id"
        case 15 where d.allSatisfy(\.isNumber): return "id"
        case 11 where d[0] == "1" && "3456789".contains(d[1]): return "phone"
        case 10...12 where d[0] == "0": return "phone"
        case 7...8: return "phone"
        default: return nil
        }
    }

    /// The text with personal numbers masked, and how many were masked.
    public static func mask(_ text: String) -> (text: String, count: Int) {
        var out = text as NSString
        var count = 0
        for re in [id18, digitRun] {
            let ms = re.matches(in: out as String, range: NSRange(location: 0, length: out.length)).reversed()
            for m in ms {
                let s = out.substring(with: m.range)
                let chars = Array(s)
                let ds = digits(s)
                guard ds.count == chars.filter({ $0 != " " && $0 != "-" }).count, let k = kind(ds) else { continue }
                // Amounts said in words (三千五百) never match: 千/百/万 are not digits.
                let keepHead = k == "id" ? 6 : (ds.count >= 11 ? 3 : 0)
                let masked = String(ds.prefix(keepHead)) + String(repeating: "*", count: ds.count - keepHead - 4) + String(ds.suffix(4))
                out = out.replacingCharacters(in: m.range, with: masked) as NSString
                count += 1
            }
        }
        return (out as String, count)
    }
}
