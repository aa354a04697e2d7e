"""`autonlp-al serve` under a hostile client: do honest clients still get answers?

Serves an all-MiniLM-L6-v2 NER model (a few training steps on CoNLL-2003; the weights do not
matter here) with the CLI as a user would, then measures, from 20 honest client threads (a new
connection per request, one sentence each):

1. honest traffic alone;
2. the same while 300 sockets send their headers one line a second (slowloris) and one thread
   sends junk requests as fast as it can;

and then single hostile requests: a 200 MB body, 64 texts of 20,000 characters, JSON nested
5,000 deep, a lone surrogate, with the server's peak RSS growth and the bytes it logged.

    python benchmarks/serve_attack.py [OUT] [--seconds 30] [--slow 300] [--clients 20]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from _corpora import conll2003, machine, minilm

TEXT = "Tim Cook visited Apple 's offices in London ."


def build_model(out: Path) -> Path:
    folder = out / "model"
    if (folder / "config.json").is_file():
        return folder
    from itertools import islice

    from autonlp_al.sources import ConllSource
    from autonlp_al.trainers import TransformersTrainer

    examples = list(islice(ConllSource(path=conll2003("train")).read(), 64))
    trainer = TransformersTrainer(
        model=minilm(), task="ner", max_steps=4, max_length=128, progress=False
    )
    trainer.train(examples, labels=["LOC", "MISC", "ORG", "PER"]).save(folder)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Honest(threading.Thread):
    def __init__(self, port: int, until: float) -> None:
        super().__init__(daemon=True)
        self.port, self.until = port, until
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        body = json.dumps({"texts": [TEXT]})
        while time.time() < self.until:
            start = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("POST", "/predict", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    self.failures.append(str(response.status))
                    continue
            except OSError as exc:
                self.failures.append(type(exc).__name__)
                continue
            self.latencies.append(time.perf_counter() - start)


class Slowloris(threading.Thread):
    """``n`` sockets that each send a request line, then one header line a second, forever;
    a socket the server closes is replaced."""

    def __init__(self, port: int, n: int, until: float) -> None:
        super().__init__(daemon=True)
        self.port, self.n, self.until = port, n, until
        self.opened = 0
        self.refused = 0

    def _open(self) -> socket.socket | None:
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            s.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
            self.opened += 1
            return s
        except OSError:
            self.refused += 1
            return None

    def run(self) -> None:
        sockets = [self._open() for _ in range(self.n)]
        while time.time() < self.until:
            time.sleep(1)
            for i, s in enumerate(sockets):
                try:
                    if s is None:
                        raise OSError
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    if s is not None:
                        s.close()
                    sockets[i] = self._open()
        for s in sockets:
            if s is not None:
                s.close()


class Junk(threading.Thread):
    def __init__(self, port: int, until: float) -> None:
        super().__init__(daemon=True)
        self.port, self.until, self.sent = port, until, 0

    def run(self) -> None:
        while time.time() < self.until:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=2) as s,
            ):
                s.sendall(b"\x16\x03\x01 NOT HTTP AT ALL\r\n\r\n")
                s.recv(1024)
                self.sent += 1


def phase(port: int, seconds: float, clients: int, slow: int, junk: bool) -> dict[str, object]:
    until = time.time() + seconds
    attackers: list[threading.Thread] = []
    if slow:
        attackers.append(Slowloris(port, slow, until))
    if junk:
        attackers.append(Junk(port, until))
    for a in attackers:
        a.start()
    time.sleep(1.0 if attackers else 0)  # let the attack take hold first
    honest = [Honest(port, until) for _ in range(clients)]
    for h in honest:
        h.start()
    for t in [*honest, *attackers]:
        t.join()
    latencies = sorted(x for h in honest for x in h.latencies)
    failures = [f for h in honest for f in h.failures]
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan")
    return {
        "requests": len(latencies) + len(failures),
        "failed": len(failures),
        "failures": sorted(set(failures)),
        "p50_s": statistics.median(latencies) if latencies else float("nan"),
        "p99_s": p99,
        "max_s": latencies[-1] if latencies else float("nan"),
        "slow_sockets_opened": sum(getattr(a, "opened", 0) for a in attackers),
        "slow_sockets_refused": sum(getattr(a, "refused", 0) for a in attackers),
        "junk_requests": sum(getattr(a, "sent", 0) for a in attackers),
    }


def probe(port: int, pid: int, name: str, send: object) -> dict[str, object]:
    """One hostile request; its status, time, and the server's RSS growth while it ran."""
    base = rss_kb(pid)
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        status = send(port)  # type: ignore[operator]
    except OSError as exc:
        status = f"connection closed ({type(exc).__name__})"
    done.set()
    sampler.join()
    return {
        "probe": name,
        "status": status,
        "seconds": round(time.perf_counter() - start, 2),
        "rss_growth_mb": round((peak[0] - base) / 1024, 1),
    }


def post(port: int, body: bytes) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("POST", "/predict", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    return response.status


def huge_body(port: int) -> object:
    """200 MB announced and streamed in 1 MB pieces; stops when the server answers or closes."""
    size = 200 * 2**20
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        chunk = b'{"texts": ["' + b"a" * (2**20 - 12)
        sent = 0
        s.settimeout(0.0)
        while sent < size:
            with contextlib.suppress(BlockingIOError):
                answer = s.recv(4096)
                if answer:
                    return f"{answer.split(b' ')[1].decode()} after {sent // 2**20} MB sent"
            s.settimeout(10)
            s.sendall(chunk)
            s.settimeout(0.0)
            sent += len(chunk)
        s.settimeout(60)
        return s.recv(4096).split(b" ")[1].decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out/serve_attack")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--slow", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = build_model(out)
    port = free_port()
    log = out / "server.log"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "autonlp_al", "serve", str(model), "--port", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                with contextlib.suppress(OSError):
                    http.client.HTTPConnection("127.0.0.1", port, timeout=2).request(
                        "GET", "/health"
                    )
                    break
                time.sleep(0.5)
            with contextlib.suppress(OSError):  # the first prediction loads lazily: not timed
                post(port, json.dumps({"texts": [TEXT]}).encode())
            rows = {
                "honest only": phase(port, args.seconds / 2, args.clients, 0, False),
                f"honest + {args.slow} slow sockets + junk": phase(
                    port, args.seconds, args.clients, args.slow, True
                ),
            }
            log_after_attack = log.stat().st_size
            texts = json.dumps({"texts": ["word " * 4000] * 64}).encode()
            within = json.dumps({"texts": ["word " * 4000] * 5}).encode()  # 100,000 characters
            probes = [
                probe(port, server.pid, "200 MB body", huge_body),
                probe(port, server.pid, "64 x 20,000 characters", lambda p: post(p, texts)),
                probe(port, server.pid, "5 x 20,000 characters", lambda p: post(p, within)),
                probe(
                    port,
                    server.pid,
                    "JSON nested 5,000 deep",
                    lambda p: post(p, b'{"texts": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
                ),
                probe(
                    port,
                    server.pid,
                    "a lone surrogate",
                    lambda p: post(p, b'{"texts": ["Hi \\ud83d there"]}'),
                ),
            ]
            alive = server.poll() is None
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"machine: {machine()}\n")
    print("| traffic | honest requests | failed | p50 s | p99 s | max s | slow sockets opened |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['requests']} | {r['failed']} {r['failures'] or ''} | "
            f"{r['p50_s']:.3f} | {r['p99_s']:.3f} | {r['max_s']:.3f} | "
            f"{r['slow_sockets_opened']} |"
        )
    print(f"\nserver log: {log_after_attack / 1e6:.2f} MB after the attack phases")
    print("\n| hostile request | answer | seconds | server RSS growth MB |")
    print("|---|---|---|---|")
    for p in probes:
        print(f"| {p['probe']} | {p['status']} | {p['seconds']} | {p['rss_growth_mb']} |")
    print(f"\nserver still running after all of it: {alive}")
    (out / "serve_attack.json").write_text(json.dumps({"phases": rows, "probes": probes}, indent=1))


if __name__ == "__main__":
    main()
