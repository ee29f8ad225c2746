/// The parser's limits; `RequestParser` reads them at the start of every request, so a reload
/// that changes them applies from the next request on.
public struct RequestParserLimits: Sendable, Equatable {
    public var maxURIBytes: Int
    /// The header section (and a chunked body's trailer section), as received, line endings included.
    public var maxHeaderBytes: Int

    public init(maxURIBytes: Int, maxHeaderBytes: Int) {
        self.maxURIBytes = maxURIBytes
        self.maxHeaderBytes = maxHeaderBytes
    }
}
