"""A tiny SMTP server for tests: accepts every message on 127.0.0.1 and keeps it in memory.

``refuse``: recipient address → the reply to its RCPT (e.g. ``"550 5.1.1 no such user"``);
``delay``: seconds the server waits before accepting each message (so a test can kill a worker
in the middle of a batch); ``port``: a fixed port to (re)start on (an SMTP server coming back)."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    subject: str
    body: str


@dataclass
class SMTPSink:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: socketserver.ThreadingTCPServer | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fixed_port: int = 0

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def start(self) -> SMTPSink:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 sink ESMTP")
                sender, recipients = "", []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode(errors="replace").rstrip("\r\n")
                    verb = line[:4].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    elif verb == "HELO":
                        self.reply("250 sink")
                    elif verb == "MAIL":
                        sender, recipients = line.split(":", 1)[1].strip(), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = line.split(":", 1)[1].strip().strip("<>")
                        if address in sink.refuse:
                            self.reply(sink.refuse[address])
                        else:
                            recipients.append(address)
                            self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        data = []
                        while True:
                            chunk = self.rfile.readline()
                            if chunk in (b".\r\n", b".\n", b""):
                                break
                            data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        msg = email.message_from_bytes(b"".join(data), policy=email.policy.default)
                        body = msg.get_body(preferencelist=("plain",))
                        if sink.delay:
                            time.sleep(sink.delay)
                        with sink.lock:
                            sink.messages.append(
                                Received(sender, list(recipients), str(msg["subject"]), body.get_content() if body else "")
                            )
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # RSET, NOOP, …
                        self.reply("250 OK")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True  # the same port again right after stop(): the server is back

        self.server = Server(("127.0.0.1", self.fixed_port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
