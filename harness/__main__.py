import sys

from harness import signals

signals.install()  # before the slow imports below: a stop during start-up is one line too
try:
    from harness.cli import main

    code = main()
except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM or SIGHUP while the libraries import
    print(f"harness: interrupted ({signals.signal_name(stop)}) during start-up; nothing was written",
          file=sys.stderr)
    code = signals.exit_code(stop)
raise SystemExit(code)
