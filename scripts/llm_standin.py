#!/usr/bin/env python3
"""A stand-in for Ollama's non-streaming POST /api/chat, for tests, benchmarks and the demo.

    python3 scripts/llm_standin.py --port 0 --delay-ms 200 --slots 4 \
        [--fail-rate 0.3] [--hang-rate 0.05] [--seed N] [--log requests.jsonl]

Prints one line {"port": N} on stdout once listening on 127.0.0.1, then serves until SIGTERM/SIGINT.

POST /api/chat   waits for one of --slots slots (the rest queue), holds it --delay-ms, answers like
                 Ollama. Per request, a seeded RNG decides first: HTTP 500 (--fail-rate) or a hang
                 (--hang-rate: no answer until the client disconnects or an hour passes; no slot held).
                 Model "missing" answers 404 like Ollama does.
GET  /stats      counters and slot-busy figures (see Stats.snapshot); POST /stats/reset zeroes them.
GET  /requests   the chat bodies received, in arrival order (reset with /stats/reset).
"""
import argparse, json, random, select, signal, socket, threading, time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Stats:
    """Everything behind one lock: counters, the request log and the slot-busy bookkeeping."""

    def __init__(self, slots):
        self.slots, self.lock, self.in_flight = slots, threading.Lock(), 0
        self.reset()

    def reset(self):
        """Zeroes the counters; requests holding a slot right now keep counting from now on."""
        with self.lock:
            self.requests = self.completed = self.failed = self.hung = self.hung_released = 0
            self.bodies, self.max_in_flight = [], self.in_flight
            self.busy = 0.0            # sum over slots of the time they were held
            self.any_busy = 0.0        # time during which at least one slot was held
            self.any_since = time.time() if self.in_flight else None  # when in_flight went 0 -> 1
            self.first_start, self.last_end = self.any_since, None

    def acquired(self, now):
        with self.lock:
            if self.in_flight == 0:
                self.any_since = now
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.first_start = now if self.first_start is None else self.first_start

    def released(self, started, now):
        with self.lock:
            self.in_flight -= 1
            self.busy += now - max(started, self.first_start or started)
            self.last_end = now
            if self.in_flight == 0 and self.any_since is not None:
                self.any_busy += now - self.any_since
                self.any_since = None

    def snapshot(self):
        with self.lock:
            span = (self.last_end - self.first_start) if self.first_start and self.last_end else 0.0
            return {
                "requests": self.requests, "completed": self.completed, "failed": self.failed,
                "hung": self.hung, "hung_released": self.hung_released,
                "in_flight": self.in_flight, "max_in_flight": self.max_in_flight, "slots": self.slots,
                "busy_seconds_by_slot": self.busy, "first_start": self.first_start, "last_end": self.last_end,
                "busy_fraction": self.busy / (self.slots * span) if span > 0 else 0.0,
                "any_busy_fraction": self.any_busy / span if span > 0 else 0.0,
            }


def reply_text(model, messages):
    last_user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    return f"{model} answers ({len(messages)} messages): I heard \"{str(last_user)[:40]}\""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llm-standin/1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall

    def log_message(self, *args):  # quiet: the --log file is the record
        pass

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/stats":
            self.send_json(200, self.server.stats.snapshot())
        elif self.path == "/requests":
            with self.server.stats.lock:
                self.send_json(200, list(self.server.stats.bodies))
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/stats/reset":
            self.server.stats.reset()
            return self.send_json(200, {"reset": True})
        if self.path != "/api/chat":
            return self.send_json(404, {"error": "not found"})
        try:
            req = json.loads(body)
            model, messages = str(req["model"]), [m for m in req.get("messages") or [] if isinstance(m, dict)]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            return self.send_json(400, {"error": f"invalid request: {e}"})
        srv, stats, arrived = self.server, self.server.stats, time.time()
        with stats.lock:
            stats.requests += 1
            stats.bodies.append(req)
            roll = srv.rng.random()
        if model == "missing":
            outcome = self.answer(404, {"error": f"model \"{model}\" not found, try pulling it first"}, "failed")
        elif roll < srv.args.fail_rate:
            outcome = self.answer(500, {"error": "stand-in failure"}, "failed")
        elif roll < srv.args.fail_rate + srv.args.hang_rate:
            outcome = self.hang()
        else:
            outcome = self.chat(model, messages)
        srv.log({"at": arrived, "model": model, "outcome": outcome,
                 "seconds": round(time.time() - arrived, 4), "body": req})

    def answer(self, status, obj, counter):
        with self.server.stats.lock:
            setattr(self.server.stats, counter, getattr(self.server.stats, counter) + 1)
        self.send_json(status, obj)
        return counter

    def hang(self):
        """Answers nothing until the client goes away (EOF on the socket) or an hour passes."""
        stats = self.server.stats
        with stats.lock:
            stats.hung += 1
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            try:
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    break
            except OSError:
                break
        with stats.lock:
            stats.hung_released += 1
        self.close_connection = True
        return "hung"

    def chat(self, model, messages):
        srv, stats = self.server, self.server.stats
        with srv.slots:
            started = time.time()
            stats.acquired(started)
            time.sleep(srv.args.delay_ms / 1000)
            ended = time.time()
            stats.released(started, ended)
        content = reply_text(model, messages)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
        held_ns = int((ended - started) * 1e9)
        return self.answer(200, {
            "model": model, "created_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "message": {"role": "assistant", "content": content},
            "done": True, "done_reason": "stop",
            "total_duration": held_ns, "load_duration": 0,
            "prompt_eval_count": prompt_tokens, "prompt_eval_duration": held_ns // 4,
            "eval_count": len(content.split()), "eval_duration": held_ns - held_ns // 4,
        }, "completed")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # listen backlog: benchmarks open many connections at once


def main():
    p = argparse.ArgumentParser(description="Stand-in for Ollama's /api/chat")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--delay-ms", type=float, default=200)
    p.add_argument("--slots", type=int, default=4)
    p.add_argument("--fail-rate", type=float, default=0.0)
    p.add_argument("--hang-rate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--log", default=None, help="append one JSON line per chat request")
    args = p.parse_args()
    if args.slots < 1 or args.delay_ms < 0 or not (0 <= args.fail_rate + args.hang_rate <= 1):
        p.error("need --slots >= 1, --delay-ms >= 0, 0 <= fail-rate + hang-rate <= 1")

    server = Server(("127.0.0.1", args.port), Handler)
    server.args, server.stats = args, Stats(args.slots)
    server.slots, server.rng = threading.BoundedSemaphore(args.slots), random.Random(args.seed)
    server.stopping = threading.Event()
    log_file, log_lock = (open(args.log, "a", buffering=1) if args.log else None), threading.Lock()

    def log(entry):
        if log_file:
            with log_lock:
                log_file.write(json.dumps(entry) + "\n")
    server.log = log

    def stop(signum, frame):
        server.stopping.set()
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A parent may have spawned us from a thread with these blocked (Foundation.Process on Linux does).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    print(json.dumps({"port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if log_file:
            log_file.close()


if __name__ == "__main__":
    main()
