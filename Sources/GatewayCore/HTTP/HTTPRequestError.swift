/// Why a request cannot be read: the status the README's "Bad input" answers with, and a message for the
/// client and the log. The connection is closed after the answer.
public struct HTTPRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status): \(message)" }
}
