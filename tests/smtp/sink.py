"""A real SMTP server for the e-mail note tests (tests/it/mail.rs).

aiosmtpd on 127.0.0.1:PORT; every message the server accepts is written whole
to DIR as one file: the envelope recipients on a first line, the headers as
received, and the text body decoded (from quoted-printable or base64), renamed
into place so a reader never sees half of one. Prints
"ready" once it listens, and runs until killed.

    python3 tests/smtp/sink.py PORT DIR
"""

import email
import email.policy
import os
import signal
import sys
import time
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        part = os.path.join(self.folder, name + ".part")
        content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        headers = content.split(b"\r\n\r\n", 1)[0]
        message = email.message_from_bytes(content, policy=email.policy.default)
        body = message.get_body(("plain",)).get_content()
        with open(part, "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(headers + b"\r\n\r\n" + body.encode("utf-8"))
        os.rename(part, os.path.join(self.folder, name))
        return "250 Message accepted for delivery"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
