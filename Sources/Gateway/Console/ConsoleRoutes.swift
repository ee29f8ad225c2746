import NIOHTTP1

/// The console's files on the admin listener: the page at `/` (and `/ui/`), its script, style
/// and icon under `/ui/`, and the chart data at `/ui/series`. Read-only, like `/status`: the
/// page's buttons call the `/admin/*` endpoints, which need what the API needs.
enum ConsoleRoutes {
    static func answer(path: Substring, runtime: GatewayRuntime) -> AdminRoutes.Answer? {
        switch path {
        case "/", "/ui", "/ui/": return file(ConsoleAssets.page, type: "text/html; charset=utf-8")
        case "/ui/console.js": return file(ConsoleAssets.script, type: "text/javascript; charset=utf-8")
        case "/ui/console.css": return file(ConsoleAssets.style, type: "text/css; charset=utf-8")
        case "/ui/favicon.svg", "/favicon.ico": return file(ConsoleAssets.favicon, type: "image/svg+xml")
        case "/ui/series":
            var answer = AdminRoutes.Answer.json(.ok, AdminJSON.encode(runtime.consoleSeries()))
            answer.headers.add(name: "Cache-Control", value: "no-store")
            return answer
        default: return nil
        }
    }

    /// Every file comes from the binary; nothing is fetched from elsewhere (the policy says so to
    /// the browser too), and no other site may frame the page and its kill button.
    private static func file(_ text: String, type: String) -> AdminRoutes.Answer {
        let headers = HTTPHeaders([
            ("Content-Type", type), ("Cache-Control", "no-cache"),
            (
                "Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            ),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
        ])
        return AdminRoutes.Answer(status: .ok, headers: headers, body: Array(text.utf8))
    }
}
