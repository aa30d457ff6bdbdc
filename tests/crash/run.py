#!/usr/bin/env python3
"""Crash safety: `kill -9` of `kho serve` at random moments under load, then a restart and checks.

Owners upload and delete documents and a portal fetches under a consent while the server is
killed with SIGKILL at random moments and started again, `--kills` times. Then, on a last start:

- every upload acknowledged (201) before a kill, and not deleted since, is listed and downloads
  whole with the SHA-256 of what was sent;
- every listed document downloads whole with the SHA-256 its ETag reports (nothing listed that
  cannot be read), and every acknowledged delete is gone;
- the owner's access-log bundle verifies offline (`kho audit verify`), and it holds a read for
  every portal fetch that was answered with content ("no log row, no data");
- blobs no row refers to and half-written files left in the blob directory are counted, then
  the sweeper runs (`kho sweep-orphans --older-than-hours 0`, the server stopped) and must
  leave none.

    python3 tests/crash/run.py --kho target/debug/kho --backend sqlite --kills 20 [--seed 1]
    python3 tests/crash/run.py --kho target/debug/kho --backend postgres --kills 100
    python3 tests/crash/run.py --kho target/debug/kho --backend postgres --blobs garage --kills 100

PostgreSQL: a fresh database on KHO_TEST_POSTGRES_URL's server (default the local one, user
postgres), dropped afterwards. `--blobs garage`: the blobs in a one-node Garage started for the
run (KHO_TEST_GARAGE or `garage` on the PATH), its object count read with `garage bucket info`.
Needs tests/hostile/requirements.txt. Prints the figures; exits
non-zero on any violation.
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric import ec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "hostile"))
from dpop import proof  # noqa: E402
from run import (  # noqa: E402
    OWNER, REPO, free_port, owner_session, portal_token, register_portal, wait_ready,
)

OTHER_OWNERS = ["001099000001", "079305004321"]
TIMEOUT = 20


class Ledger:
    """What the clients were told, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.uploaded = {}  # document id -> (owner, sha256)
        self.deleted = set()  # acknowledged deletes
        self.maybe_deleted = set()  # deletes sent and never answered
        self.fetched = 0  # portal fetches answered with the whole content
        self.unanswered = 0
        self.statuses = {}  # status -> count, answers other than the expected ones
        self.violations = []

    def count(self, status, what):
        """An answer other than the one expected: only a 503 (a passing condition) is not a
        violation."""
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status != 503:
                self.violations.append(f"{what}: answered {status}")


def pdf(rng: random.Random) -> bytes:
    return b"%PDF-1.7\n" + rng.randbytes(rng.randint(1_000, 256_000)) + b"\n%%EOF\n"


def owner_worker(base, identifier, ledger, stop, seed):
    rng = random.Random(seed)
    session, csrf = None, None
    mine = []
    while not stop.is_set():
        try:
            if session is None:
                # Signed in once the session and its CSRF token are both answered.
                fresh = requests.Session()
                fresh.post(f"{base}/dev/sign-in", data={"identifier": identifier},
                           allow_redirects=False, timeout=TIMEOUT)
                csrf = fresh.get(f"{base}/v1/me", timeout=TIMEOUT).json()["csrf_token"]
                session = fresh
            if mine and rng.random() < 0.3:
                doc = mine.pop(rng.randrange(len(mine)))
                with ledger.lock:
                    ledger.maybe_deleted.add(doc)
                answer = session.delete(f"{base}/v1/me/documents/{doc}",
                                        headers={"X-CSRF-Token": csrf}, timeout=TIMEOUT)
                if answer.status_code == 204:
                    with ledger.lock:
                        ledger.deleted.add(doc)
                else:
                    # Answered: not deleted. (A 404 here is an acknowledged upload lost.)
                    with ledger.lock:
                        ledger.maybe_deleted.discard(doc)
                    mine.append(doc)
                    ledger.count(answer.status_code, f"deleting {doc}")
                continue
            body = pdf(rng)
            answer = session.post(
                f"{base}/v1/me/documents", headers={"X-CSRF-Token": csrf},
                data={"type": "other", "title": f"tài liệu {rng.randrange(10**6)}"},
                files={"file": ("doc.pdf", body, "application/pdf")}, timeout=TIMEOUT,
            )
            if answer.status_code == 201:
                doc = answer.json()["id"]
                mine.append(doc)
                with ledger.lock:
                    ledger.uploaded[doc] = (identifier, hashlib.sha256(body).hexdigest())
            else:
                ledger.count(answer.status_code, "an upload")
        except (requests.RequestException, ValueError, KeyError):
            with ledger.lock:
                ledger.unanswered += 1
            time.sleep(0.1)


def portal_worker(base, token, key, document, expected, ledger, stop):
    url = f"{base}/v1/shared/documents/{document}/content"
    while not stop.is_set():
        try:
            answer = requests.get(url, timeout=TIMEOUT, headers={
                "Authorization": f"DPoP {token}", "DPoP": proof(key, "GET", url, token)})
            if answer.status_code == 200:
                if hashlib.sha256(answer.content).hexdigest() != expected:
                    with ledger.lock:
                        ledger.violations.append("a portal fetch answered with other bytes")
                else:
                    with ledger.lock:
                        ledger.fetched += 1
            else:
                ledger.count(answer.status_code, "a portal fetch")
        except requests.RequestException:
            with ledger.lock:
                ledger.unanswered += 1
            time.sleep(0.1)


class Server:
    def __init__(self, kho, env, base, log):
        self.kho, self.env, self.base, self.log = kho, env, base, log
        self.process = None

    def start(self):
        self.process = subprocess.Popen([self.kho, "serve"], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        wait_ready(self.base, self.process)

    def kill(self):
        """SIGKILL; whether the server was still running (it must be)."""
        running = self.process.poll() is None
        if running:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return running

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def database(backend, tmp):
    """The database URL, and how to drop it."""
    if backend == "sqlite":
        return f"sqlite://{tmp}/kho.db?mode=rwc", lambda: subprocess.CompletedProcess([], 0)
    server = os.environ.get("KHO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"kho_crash_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {name}"], check=True)
    url = server.rsplit("/", 1)[0] + f"/{name}"
    return url, lambda: subprocess.run(["psql", server, "-qc",
                                        f"DROP DATABASE {name} WITH (FORCE)"])


def documents(session, base):
    items, cursor = [], None
    while True:
        page = session.get(f"{base}/v1/me/documents", timeout=TIMEOUT,
                           params={"limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def check(base, kho, env, ledger, tmp, portal_document):
    violations = list(ledger.violations)
    listed = {}
    sessions = {}
    for identifier in [OWNER, *OTHER_OWNERS]:
        session = requests.Session()
        session.post(f"{base}/dev/sign-in", data={"identifier": identifier}, allow_redirects=False)
        sessions[identifier] = session
        for item in documents(session, base):
            listed[item["id"]] = identifier
    for doc, identifier in listed.items():
        answer = sessions[identifier].get(f"{base}/v1/me/documents/{doc}/content", timeout=60)
        if answer.status_code != 200:
            violations.append(f"listed {doc} answers {answer.status_code}")
            continue
        digest = hashlib.sha256(answer.content).hexdigest()
        if answer.headers.get("etag", "").strip('"') != digest:
            violations.append(f"listed {doc} downloads with another SHA-256 than its ETag")
        if doc in ledger.uploaded and ledger.uploaded[doc][1] != digest:
            violations.append(f"{doc} downloads other bytes than were uploaded")
    for doc, (identifier, _) in ledger.uploaded.items():
        if doc not in listed and doc not in ledger.maybe_deleted:
            violations.append(f"acknowledged upload {doc} of {identifier} is lost")
    for doc in ledger.deleted:
        if doc in listed:
            violations.append(f"acknowledged delete of {doc} is undone")
    # The access log of the owner the portal reads from.
    bundle = sessions[OWNER].get(f"{base}/v1/me/access-log/bundle", timeout=60)
    (tmp / "bundle.json").write_bytes(bundle.content)
    verified = subprocess.run([kho, "audit", "verify", str(tmp / "bundle.json")], env=env,
                              capture_output=True, text=True)
    if verified.returncode != 0:
        violations.append(f"the access-log chain does not verify: {verified.stdout}{verified.stderr}")
    entries = json.loads(bundle.content).get("entries", [])
    reads = sum(1 for e in entries if e.get("actor_kind") == "portal"
                and e.get("action") == "download_document"
                and e.get("document_id") == portal_document and e.get("outcome") == "allowed")
    if reads < ledger.fetched:
        violations.append(f"{ledger.fetched} portal fetches answered, {reads} reads logged")
    return violations, listed, reads


def leftovers(tmp, listed):
    """Blobs no listed document refers to, and half-written files, in the blob directory."""
    orphans = partial = size = 0
    blobs = tmp / "blobs"
    for path in blobs.rglob("*") if blobs.exists() else []:
        if not path.is_file():
            continue
        if "#" in path.name:
            partial += 1
        elif path.parent.name not in listed:
            orphans += 1
        else:
            continue
        size += path.stat().st_size
    return {"orphan_blobs": orphans, "partial_files": partial, "bytes": size}


class Garage:
    """A one-node Garage for the run, with the bucket `kho` and one key."""

    KEY_ID, SECRET = "GK0123456789abcdef01234567", "0123456789abcdef" * 4

    def __init__(self, tmp):
        self.binary = os.environ.get("KHO_TEST_GARAGE") or shutil.which("garage")
        if not self.binary:
            sys.exit("--blobs garage: no garage binary (KHO_TEST_GARAGE or PATH)")
        s3, rpc = free_port(), free_port()
        self.config = tmp / "garage.toml"
        self.config.write_text(f"""metadata_dir = "{tmp}/garage/meta"
data_dir = "{tmp}/garage/data"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{'ab' * 32}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"
""")
        self.endpoint = f"http://127.0.0.1:{s3}"
        self.log = open(tmp / "garage.log", "w")
        self.process = subprocess.Popen([self.binary, "-c", str(self.config), "server"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(60):
            if self.run("status", check=False).returncode == 0:
                break
            time.sleep(0.5)
        node = self.run("node", "id", "-q").stdout.strip().split("@")[0]
        self.run("layout", "assign", "-z", "dc1", "-c", "1G", node)
        self.run("layout", "apply", "--version", "1")
        self.run("key", "import", "--yes", "-n", "kho", self.KEY_ID, self.SECRET)
        self.run("bucket", "create", "kho")
        self.run("bucket", "allow", "--read", "--write", "--owner", "kho", "--key", "kho")

    def run(self, *args, check=True):
        return subprocess.run([self.binary, "-c", str(self.config), *args], capture_output=True,
                              text=True, check=check)

    def variables(self):
        return dict(KHO_BLOB_URL="s3://kho/crash", KHO_S3_ENDPOINT=self.endpoint,
                    KHO_S3_REGION="garage", KHO_S3_ACCESS_KEY_ID=self.KEY_ID,
                    KHO_S3_SECRET_ACCESS_KEY=self.SECRET)

    def leftovers(self, listed):
        """Objects beyond the listed documents, and unfinished multipart uploads, from the
        bucket's counters (which Garage updates in the background: read until they settle)."""
        last = None
        for _ in range(20):
            info = self.run("bucket", "info", "kho").stdout
            objects = int(re.search(r"Objects:\s+(\d+)", info).group(1))
            unfinished = re.search(r"Unfinished uploads:\s+(\d+)", info)
            now = {"orphan_blobs": objects - len(listed),
                   "unfinished_uploads": int(unfinished.group(1)) if unfinished else 0}
            if now == last:
                return now
            last = now
            time.sleep(1)
        return last

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kho", required=True, help="the kho binary")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--blobs", choices=["local", "garage"], default="local")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    tmp = Path(tempfile.mkdtemp(prefix=f"kho-crash-{args.backend}-"))
    url, drop = database(args.backend, tmp)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update(KHO_PROFILE="dev", KHO_LISTEN=f"127.0.0.1:{port}", KHO_PUBLIC_URL=base,
               KHO_DATABASE_URL=url, KHO_BLOB_URL=str(tmp / "blobs"),
               KHO_KEYS_DIR=str(REPO / "keys-dev"), KHO_LOG="warn",
               KHO_OAUTH_PER_MINUTE="1000000", KHO_SIGN_IN_PER_MINUTE="1000000")
    log = open(tmp / "serve.log", "w")
    server = Server(args.kho, env, base, log)
    ledger = Ledger()
    started = time.monotonic()
    stop = threading.Event()
    garage = None
    try:
        if args.blobs == "garage":
            garage = Garage(tmp)
            env.update(garage.variables())
        count_leftovers = garage.leftovers if garage else (lambda listed: leftovers(tmp, listed))
        client = register_portal(args.kho, env)
        server.start()
        owner, csrf = owner_session(base)
        key = ec.generate_private_key(ec.SECP256R1())
        token = portal_token(base, owner, csrf, client, key)
        first = documents(owner, base)[0]["id"]
        expected = hashlib.sha256(owner.get(f"{base}/v1/me/documents/{first}/content").content)
        workers = [threading.Thread(target=owner_worker, daemon=True,
                                    args=(base, who, ledger, stop, args.seed * 10 + i))
                   for i, who in enumerate([OWNER, *OTHER_OWNERS])]
        workers.append(threading.Thread(target=portal_worker, daemon=True, args=(
            base, token, key, first, expected.hexdigest(), ledger, stop)))
        for worker in workers:
            worker.start()
        for _ in range(args.kills):
            time.sleep(rng.uniform(0.2, 2.0))
            if not server.kill():
                ledger.violations.append("the server stopped by itself")
            server.start()
        time.sleep(1)
        stop.set()
        for worker in workers:
            worker.join()
        server.kill()
        server.start()
        violations, listed, reads = check(base, args.kho, env, ledger, tmp, first)
        server.stop()
        before_sweep = count_leftovers(listed)
        swept = subprocess.run([args.kho, "sweep-orphans", "--older-than-hours", "0",
                                "--servers-stopped"], env=env,
                               capture_output=True, text=True)
        if swept.returncode != 0:
            violations.append(f"the sweep failed: {swept.stderr}")
        after_sweep = count_leftovers(listed)
        if after_sweep["orphan_blobs"] or after_sweep.get("partial_files"):
            violations.append(f"left after the sweep: {after_sweep}")
        # The sweep removed nothing a document needs: everything checks again.
        server.start()
        again, _, _ = check(base, args.kho, env, ledger, tmp, first)
        violations += [f"after the sweep: {v}" for v in again if v not in violations]
        server.stop()
    finally:
        stop.set()
        if server.process and server.process.poll() is None:
            server.kill()
        log.close()
        if garage:
            garage.stop()
        if drop().returncode:
            print(f"could not drop the run's database ({url})")
    panicked = "panicked" in (tmp / "serve.log").read_text(errors="replace")
    if panicked:
        violations.append("a panic in the server's log")
    print(json.dumps({
        "backend": args.backend, "blobs": args.blobs, "kills": args.kills, "seconds": round(time.monotonic() - started),
        "uploads_acknowledged": len(ledger.uploaded), "deletes_acknowledged": len(ledger.deleted),
        "portal_fetches_answered": ledger.fetched, "reads_logged": reads,
        "requests_unanswered": ledger.unanswered, "other_answers": ledger.statuses,
        "documents_listed": len(listed), "left_before_the_sweep": before_sweep,
        "left_after_the_sweep": after_sweep, "violations": violations,
    }, indent=1))
    if violations:
        print(f"crash run: {len(violations)} violations; the server's files are in {tmp}")
        return 1
    print("crash run: nothing acknowledged was lost or corrupted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
