"""Opens N keep-alive HTTP connections to 127.0.0.1:PORT, sends one request on each, reads the
answer, and holds them all open until stdin closes; prints HELD when every connection is up."""
import socket
import sys

port, count = int(sys.argv[1]), int(sys.argv[2])
connections = []
for index in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += s.recv(4096)
    connections.append(s)
print("HELD", len(connections), flush=True)
sys.stdin.read()
