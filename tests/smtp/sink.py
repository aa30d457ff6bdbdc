"""The SMTP server of the tests: aiosmtpd, on 127.0.0.1 and a free port.

Every message it accepts becomes one JSON file in the directory given as the first argument —
the envelope's recipients, the headers the tests look at, the decoded text, and the raw message —
written whole and then renamed, so a reader never sees half a message. Prints "listening PORT"
once it accepts connections.
"""

import asyncio
import email
import email.policy
import json
import os
import sys
import time
import uuid

from aiosmtpd.smtp import SMTP


class Keep:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        kept = {
            "to": envelope.rcpt_tos,
            "from": str(message["From"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "text": message.get_content() if not message.is_multipart() else "",
            "raw": envelope.original_content.decode("utf-8", "replace"),
        }
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.json"
        partial = os.path.join(self.directory, "." + name)
        with open(partial, "w", encoding="utf-8") as out:
            json.dump(kept, out, ensure_ascii=False)
        os.rename(partial, os.path.join(self.directory, name))
        return "250 Message accepted"


async def main(directory):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Keep(directory), hostname="kho-test-smtp"), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    print(f"listening {port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
