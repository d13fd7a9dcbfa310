"""
The harness's side of a Python benchmark worker: a JSON-lines loop on stdin/stdout.

The harness starts the worker once per case, then sends one line per timed pass:
  {"cmd": "run"}   ->  {"seconds": s, ...facts}   (the worker times itself in-process)
  {"cmd": "quit"}  ->  the worker exits
The first line the worker prints is {"ready": true, "versions": {...}} or {"unavailable": "why"}.
Anything else a worker wants to say goes to stderr.
"""
import json
import sys
import traceback


def say(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def serve(setup):
    """`setup()` returns (versions, run) where run() returns a dict with at least "seconds"."""
    try:
        versions, run = setup()
    except Exception as e:  # the reference is not usable here: say so, the suite records n/a
        say({'unavailable': f'{type(e).__name__}: {e}'})
        return
    say({'ready': True, 'versions': versions})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        if msg.get('cmd') == 'quit':
            break
        try:
            say(run(**msg.get('args', {})))
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            say({'error': f'{type(e).__name__}: {e}'})
