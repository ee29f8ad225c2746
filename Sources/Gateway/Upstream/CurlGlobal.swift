import CCurl

/// libcurl's process-wide initialisation, which must run once before any handle exists and is
/// not thread-safe itself; a Swift global's lazy initialiser gives exactly that.
enum CurlGlobal {
    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    static func ensureInitialised() {
        precondition(initialised, "curl_global_init failed")
    }
}
