import sys

from harness import signals

try:
    # First, before the slow imports below, and inside this try: a signal that lands while the
    # handlers are being installed raises Stopped here too, so a stop during start-up is one line.
    signals.install()
    from harness.cli import main

    code = main()
except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM or SIGHUP while the libraries import
    print(f"harness: interrupted ({signals.signal_name(stop)}) during start-up; nothing was written",
          file=sys.stderr)
    code = signals.exit_code(stop)
raise SystemExit(code)
