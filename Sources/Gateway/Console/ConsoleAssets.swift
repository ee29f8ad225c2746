/// The console's files, compiled into the binary (no CDN, no files beside it: the page works
/// offline and on an air-gapped host): markup in `ConsolePage.swift`, style in
/// `ConsoleStyle.swift`, behaviour in `ConsoleScript.swift`. `ConsoleRoutes` serves them.
enum ConsoleAssets {
    /// A gate with a grey and a green path: old and new.
    static let favicon = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#111827"/><path d="M6 26V14l10-8 10 8v12" fill="none" stroke="#9ca3af" stroke-width="3"/><path d="M16 26V16" stroke="#34d399" stroke-width="4"/></svg>

        """#
}
