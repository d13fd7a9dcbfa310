"""
Slow Flight consumers for the memory suite: N concurrent DoGet streams on N different endpoints
of one dataset, each taking one batch and then sleeping, for a fixed time, then cancelled.

    slow_reader.py URI DATASET STREAMS SECONDS DELAY

Protocol (stdout, JSON lines; stdin lines from the suite):
  -> {"planned": endpoints}          after get_flight_info; then waits for "go" on stdin
  -> {"open": n}                     once every stream has received its first batch
  -> {"done": true, "batches": k, "bytes": b, "streams": n}
"""
import json
import sys
import threading
import time

import pyarrow.flight as fl


def main(uri, dataset, streams, seconds, delay):
    client = fl.connect(uri)
    info = client.get_flight_info(fl.FlightDescriptor.for_command(json.dumps({'dataset': dataset})))
    endpoints = list(info.endpoints)
    print(json.dumps({'planned': len(endpoints)}), flush=True)
    if sys.stdin.readline().strip() != 'go':
        return
    if len(endpoints) < streams:
        print(json.dumps({'error': f'only {len(endpoints)} endpoints for {streams} streams'}), flush=True)
        return
    lock = threading.Lock()
    opened = threading.Event()
    state = {'open': 0, 'batches': 0, 'bytes': 0}
    stop_at = [None]
    errors = []

    def consume(endpoint):
        try:
            reader = client.do_get(endpoint.ticket)
            first = True
            while True:
                try:
                    chunk = reader.read_chunk()
                except StopIteration:
                    break
                with lock:
                    state['batches'] += 1
                    state['bytes'] += chunk.data.nbytes
                    if first:
                        state['open'] += 1
                        if state['open'] == streams:
                            opened.set()
                first = False
                if stop_at[0] is not None and time.monotonic() >= stop_at[0]:
                    break
                time.sleep(delay)
            reader.cancel()
        except Exception as e:  # reported, not fatal for the other streams
            errors.append(f'{type(e).__name__}: {e}')
            opened.set()

    threads = [threading.Thread(target=consume, args=(e,), daemon=True) for e in endpoints[:streams]]
    for t in threads:
        t.start()
    opened.wait(timeout=120)
    print(json.dumps({'open': state['open']}), flush=True)
    stop_at[0] = time.monotonic() + seconds
    for t in threads:
        t.join(timeout=seconds + 60)
    print(json.dumps({'done': True, 'batches': state['batches'], 'bytes': state['bytes'], 'streams': streams,
                      'errors': errors[:3]}), flush=True)


if __name__ == '__main__':
    u, d, n, s, dl = sys.argv[1:6]
    main(u, d, int(n), float(s), float(dl))
