"""A local SMTP server that accepts and counts every message (aiosmtpd), for benchmarks.

    python -m bench.smtp_sink --port 2525

Prints "ready" once it listens, and on SIGTERM the number of messages it accepted.
"""

import argparse
import logging
import signal
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        return "250 OK"


def main(port: int) -> None:
    # aiosmtpd logs every SMTP command at INFO: that would cost the server more than the mail.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    print(counter.messages, flush=True)
    sys.exit(0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    main(parser.parse_args().port)
