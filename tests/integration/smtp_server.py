#!/usr/bin/python3
"""A real SMTP server for the integration tests: Debian's aiosmtpd on 127.0.0.1, with STARTTLS
(a self-signed certificate made here with openssl) and AUTH when asked for.

Usage: smtp_server.py --dir DIR [--port N] [--tls] [--user U --password P]
Prints JSON lines on stdout: {"event": "listening", "port", "ca_file"}, then one
{"event": "message", "mail_from", "rcpt_tos", "subject", "text", "html", "message_id", "tls", "auth",
"attachments": [{"filename", "content_type", "size", "path"}]} per message accepted, and
{"event": "refused", "code", "rcpt"} per recipient refused. Reads commands on stdin, one a line:
  mode ok        accept mail (the default)
  mode tempfail  answer RCPT TO with 451 (try again later)
  mode reject    answer RCPT TO with 550 (refused for good)
  mode hang      accept connections and never say a word
and answers each with {"event": "mode", "mode"}.
"""
import argparse
import asyncio
import email
import json
import os
import subprocess
import sys
from email import policy

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

state = {"mode": "ok"}


def emit(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


class Server(SMTP):
    async def _handle_client(self):
        if state["mode"] == "hang":
            await asyncio.sleep(3600)  # no greeting, no answer: the client must give up by itself
            return
        await super()._handle_client()


class Handler:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if state["mode"] == "tempfail":
            emit({"event": "refused", "code": 451, "rcpt": address})
            return "451 4.3.0 Mailbox busy, try again later"
        if state["mode"] == "reject":
            emit({"event": "refused", "code": 550, "rcpt": address})
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        attachments = []
        for index, part in enumerate(message.iter_attachments()):
            data = part.get_payload(decode=True) or b""
            path = os.path.join(self.folder, f"mail{self.count}-{index}-{part.get_filename() or 'file'}")
            with open(path, "wb") as f:
                f.write(data)
            attachments.append({"filename": part.get_filename(), "content_type": part.get_content_type(),
                                "size": len(data), "path": path})
        emit({"event": "message", "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
              "subject": str(message["subject"]), "message_id": str(message["message-id"]),
              "from": str(message["from"]), "to": str(message["to"]),
              "text": text.get_content() if text else None, "html": html.get_content() if html else None,
              "attachments": attachments, "tls": session.ssl is not None,
              "auth": session.authenticated, "raw_size": len(envelope.original_content or b"")})
        return "250 Message accepted"


def make_certificate(folder):
    key = os.path.join(folder, "smtp-key.pem")
    cert = os.path.join(folder, "smtp-cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return key, cert


async def commands():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            os._exit(0)  # the test went away
        words = line.decode().split()
        if len(words) == 2 and words[0] == "mode" and words[1] in ("ok", "tempfail", "reject", "hang"):
            state["mode"] = words[1]
            emit({"event": "mode", "mode": words[1]})


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    import ssl
    tls = None
    ca_file = None
    if args.tls:
        key, ca_file = make_certificate(args.dir)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(ca_file, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user
              and auth_data.password.decode() == args.password)
        return AuthResult(success=ok)

    handler = Handler(args.dir)

    def factory():
        return Server(handler, hostname="localhost", tls_context=tls, require_starttls=bool(tls),
                      auth_required=bool(args.user), auth_require_tls=bool(tls),
                      authenticator=authenticator if args.user else None)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", args.port)
    emit({"event": "listening", "port": server.sockets[0].getsockname()[1], "ca_file": ca_file})
    await commands()


asyncio.run(main())
