import Foundation

/// HTML building with escaping everywhere: every value that reaches a page goes through `esc`
/// (text and attribute values alike), because transcripts, summaries and file names come from
/// outside. Pages carry no inline script or style, so the CSP can forbid both.
enum HTML {
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "`": out += "&#96;"
            default:
                // Control characters other than tab/newline cannot be shown; drop them.
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Percent-encodes a query value.
    static func q(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func page(title: String, nav: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="zh-CN"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title)) · CallTriage review</title>
        <link rel="stylesheet" href="/static/review.css">
        <script src="/static/review.js" defer></script>
        </head><body data-page="\(esc(nav))">
        <header class="top"><a class="brand" href="/">CallTriage review</a>
        <nav><a href="/"\(nav == "queue" ? " class=\"on\"" : "")>Queue</a>
        <a href="/metrics"\(nav == "metrics" ? " class=\"on\"" : "")>Metrics</a>
        <a href="#" id="shortcuts-link" title="Keyboard shortcuts (?)">Shortcuts</a></nav></header>
        <main>
        \(body)
        </main>
        <div id="shortcuts" class="shortcuts" hidden>
        <h3>Keyboard shortcuts</h3>
        <table><tr><td><kbd>a</kbd></td><td>approve</td></tr><tr><td><kbd>x</kbd></td><td>reject</td></tr>
        <tr><td><kbd>s</kbd></td><td>save edits</td></tr><tr><td><kbd>n</kbd></td><td>next draft in the queue</td></tr>
        <tr><td><kbd>p</kbd> / <kbd>space</kbd></td><td>play / pause</td></tr>
        <tr><td><kbd>]</kbd> / <kbd>[</kbd></td><td>play next / previous keyword hit</td></tr>
        <tr><td><kbd>j</kbd> / <kbd>k</kbd></td><td>queue: move down / up, <kbd>Enter</kbd> opens</td></tr>
        <tr><td><kbd>/</kbd></td><td>search</td></tr><tr><td><kbd>?</kbd></td><td>this help</td></tr></table>
        <p>Shortcuts work when no text field has focus; <kbd>Esc</kbd> leaves a field.</p></div>
        </body></html>
        """
    }

    static func options(_ values: [(value: String, label: String)], selected: String?) -> String {
        values.map { v in
            "<option value=\"\(esc(v.value))\"\(v.value == selected ? " selected" : "")>\(esc(v.label))</option>"
        }.joined()
    }

    static func time(_ t: Double) -> String {
        let m = Int(t) / 60
        return String(format: "%02d:%04.1f", m, t - Double(m * 60))
    }

    static func pct(_ x: Double) -> String { String(format: "%.1f %%", x * 100) }
}
