"""Starts moto's server for egress-sandbox's tests (src/peers/moto.ts runs this file).

Why not `moto_server` itself:
- it binds a port named in advance, which races with other processes; here the OS picks a free
  one (port 0) and the bound port is printed once, as JSON, when the server accepts connections;
- it outlives a parent that dies without stopping it (SIGKILL, a crash); here moto stops as soon
  as its standard input closes, which the kernel does when the parent process ends, however it ends.

Output: one line `{"ready": true, "host": ..., "port": ..., "moto": "<version>", "python": ...}` on
stdout; on failure one line `{"ready": false, "error": "..."}` and exit code 3.
"""

import json
import logging
import os
import signal
import sys
import threading


def main() -> int:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    try:
        import moto
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    except ImportError as error:
        print(json.dumps({"ready": False, "error": f"moto is not importable: {error}"}), flush=True)
        return 3

    # One log line per request costs moto time and says nothing a test reads (unless asked for).
    if os.environ.get("EGRESS_MOTO_LOG_REQUESTS") != "1":
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # moto lists its own package directory (~180 stat calls) twice for every request to find the
    # service; the list cannot change while it runs, so it is read once. A fifth of moto's time.
    import moto.backends

    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    bound_host, port = server.get_host_and_port()
    print(
        json.dumps(
            {
                "ready": True,
                "host": bound_host,
                "port": port,
                "moto": moto.__version__,
                "python": sys.executable,
            }
        ),
        flush=True,
    )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_parent() -> None:
        # read() returns only at EOF: the parent closed the pipe or is gone.
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
