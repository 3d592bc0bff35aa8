"""A local httpbin for tests written against httpbin.org, started inside the sandbox before the tests.

Run by the task environment's interpreter (`python -I -B httpbin_service.py COMMAND`); it never imports trajsift
and keeps to Python 3.6 syntax. It starts the real `httpbin` application (from the environment) in a child
process, under a threaded WSGI server (the standard library's, made to speak HTTP/1.1 with keep-alive), and serves
plain HTTP and HTTPS on the same port, as httpbin.org answered both schemes for one host name (requests'
mixed-case `HTTPS://` tests reuse the netloc of `HTTPBIN_URL`): a connection whose first byte opens a TLS
handshake is wrapped with a throwaway self-signed certificate for 127.0.0.1 / localhost (`openssl`).
Then it replaces itself with `/bin/sh -c COMMAND`, with `HTTPBIN_URL` pointing at the server and
`REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE` at the CA. `--trust FILE` (repeatable, relative to the work tree) also
appends the CA to a bundle the code under test reads itself (requests' vendored `requests/cacert.pem`:
`Session.send` verifies against it, not the variable), replacing the block an earlier run appended.
`--app MODULE:NAME` serves another WSGI application. The server's log goes to a file under /tmp, never into the
test output the grader parses.
"""

import os
import socket
import ssl
import subprocess
import sys
import tempfile

HOST = "127.0.0.1"
DEFAULT_APP = "httpbin:app"
TLS_HANDSHAKE = b"\x16"
FIRST_BYTE_WAIT_S = 30
MAX_FD = 1024
TRUST_MARKER = b"\n# trajsift local httpbin CA (appended for the test run)\n"


def make_tls(directory):
    """(server TLS context, CA bundle path): a throwaway self-signed certificate for 127.0.0.1 and localhost,
    itself the CA the tests trust (`openssl` from the host's /usr)."""
    key, bundle = os.path.join(directory, "key.pem"), os.path.join(directory, "ca.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", bundle, "-days", "2", "-subj", "/CN=" + HOST,
         "-addext", "subjectAltName=IP:" + HOST + ",DNS:localhost", "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(bundle, key)
    return context, bundle


class Body:
    """A request's body read in full (Content-Length or chunked), so the next request on the connection starts
    where it should and the application sees a plain stream with a length."""

    @staticmethod
    def read(rfile, headers):
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while rfile.readline(65537).strip():  # trailers up to the blank line
                        pass
                    return b"".join(chunks)
                chunks.append(rfile.read(size))
                rfile.readline(1024)
        length = int(headers.get("Content-Length") or 0)
        return rfile.read(length) if length > 0 else b""


def make_server(tls, app):
    """A threaded WSGI server over httpbin: HTTP/1.1 with keep-alive (each response says `Connection:
    keep-alive` or `close`), each connection TLS or plain by its first byte."""
    import io
    from socketserver import ThreadingMixIn
    from wsgiref import simple_server

    class Response(simple_server.ServerHandler):
        http_version = "1.1"

        def cleanup_headers(self):
            simple_server.ServerHandler.cleanup_headers(self)
            bodiless = self.environ["REQUEST_METHOD"] == "HEAD" or self.status[:3] in ("204", "304")
            if "Content-Length" not in self.headers and not bodiless:
                self.request_handler.close_connection = True  # the body ends where the connection does
            self.headers["Connection"] = "close" if self.request_handler.close_connection else "keep-alive"

    class Handler(simple_server.WSGIRequestHandler):
        protocol_version = "HTTP/1.1"
        handle = simple_server.BaseHTTPRequestHandler.handle  # one request after another until a close

        def handle_one_request(self):
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or len(self.raw_requestline) > 65536:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            body = Body.read(self.rfile, self.headers)
            environ = self.get_environ()
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # the body is de-chunked here, as gunicorn's httpbin.org did
            if isinstance(self.connection, ssl.SSLSocket):
                environ["HTTPS"] = "on"
            response = Response(io.BytesIO(body), self.wfile, self.get_stderr(), environ, multithread=True)
            response.request_handler = self
            response.run(app)
            self.wfile.flush()

    class Server(ThreadingMixIn, simple_server.WSGIServer):
        daemon_threads = True

        def finish_request(self, request, client_address):
            request.settimeout(FIRST_BYTE_WAIT_S)
            try:
                first = request.recv(1, socket.MSG_PEEK)
                if first == TLS_HANDSHAKE:
                    request = tls.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (OSError, ValueError):
                request.close()
                return
            try:
                self.RequestHandlerClass(request, client_address, self)
            finally:
                request.close()

    return simple_server.make_server(HOST, 0, app, server_class=Server, handler_class=Handler)


def serve(directory, ready, app_name):
    """The child: build the server, report `port` on the `ready` pipe, serve until the sandbox ends."""
    log = os.open(os.path.join(directory, "server.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.closerange(3, ready)  # the evidence pipe and anything else inherited: the tests' process alone holds them
    os.closerange(ready + 1, MAX_FD)
    tls, bundle = make_tls(directory)
    module, _, attribute = app_name.partition(":")
    server = make_server(tls, getattr(__import__(module, fromlist=[attribute]), attribute))
    os.write(ready, f"{server.server_port} {bundle}\n".encode())
    os.close(ready)
    server.serve_forever()


def start(app_name):
    """Fork the server; (url, CA bundle) once it listens, or raise with what its log says."""
    directory = tempfile.mkdtemp(prefix="trajsift-httpbin-")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            serve(directory, write_end, app_name)
        finally:
            os._exit(1)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        line = pipe.readline().decode().split()
    if len(line) != 2:
        with open(os.path.join(directory, "server.log")) as handle:
            raise RuntimeError("local httpbin did not start: " + handle.read()[-2000:])
    return f"http://{HOST}:{line[0]}/", line[1]


def trust(bundle, targets):
    """Append the CA in `bundle` to each existing file of `targets` (once: an earlier run's block is replaced)."""
    with open(bundle, "rb") as handle:
        authority = handle.read()
    for target in targets:
        if not os.path.isfile(target) or os.path.islink(target):
            continue
        with open(target, "rb") as handle:
            kept = handle.read().split(TRUST_MARKER)[0]
        with open(target, "wb") as handle:
            handle.write(kept + TRUST_MARKER + authority)


def parse_args(argv):
    """(files to append the CA to, the WSGI app, the command) from `[--trust FILE]... [--app MODULE:NAME] COMMAND`."""
    targets, app_name = [], DEFAULT_APP
    while len(argv) > 2 and argv[0] in ("--trust", "--app"):
        if argv[0] == "--trust":
            targets.append(argv[1])
        else:
            app_name = argv[1]
        argv = argv[2:]
    if len(argv) != 1:
        raise SystemExit("usage: httpbin_service.py [--trust FILE]... [--app MODULE:NAME] COMMAND")
    return targets, app_name, argv[0]


def main():
    targets, app_name, command = parse_args(sys.argv[1:])
    try:
        url, bundle = start(app_name)
        trust(bundle, targets)
    except Exception as exc:  # noqa: BLE001 - said in the output; the tests then run without the service
        sys.stderr.write(f"trajsift: {exc}\n")
        url, bundle = "", ""
    env = dict(os.environ)
    if url:
        env.update(HTTPBIN_URL=url, REQUESTS_CA_BUNDLE=bundle, SSL_CERT_FILE=bundle)
    sys.stdout.flush()
    os.execve("/bin/sh", ["/bin/sh", "-c", command], env)


if __name__ == "__main__":
    main()
