#!/usr/bin/env python3
"""Hostile input against Kho, generated from its own OpenAPI document by schemathesis.

Starts `kho serve` on a fresh SQLite database, makes an owner (dev sign-in, one document) and a
portal holding a DPoP-bound token under that owner's consent (CIBA), then runs schemathesis three
times: without credentials, as the portal on /v1/shared, and as the signed-in owner. Every check
asks for the same two things: no 5xx, and every response as the document declares it (status,
content type, headers, body schema). A panic in the server's log fails the run too.

    python3 tests/hostile/run.py --kho target/debug/kho [--examples 250] [--seed 1]

Needs tests/hostile/requirements.txt (schemathesis 4, PyJWT). Exits non-zero on any finding.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dpop import proof

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OWNER = "035199000123"
AGENCY = "000.00.00.H49"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
DETAILS = (
    '[{"type":"document_access","procedure":"1.001193","dossier":"000.00.00.H49-261123-0001",'
    '"purpose":"Đăng ký khai sinh cho con","document_types":["id-card"],'
    '"access":"until_expiry","expires_in":86400}]'
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kho_env(tmp: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update(
        KHO_PROFILE="dev",
        KHO_LISTEN=f"127.0.0.1:{port}",
        KHO_PUBLIC_URL=f"http://127.0.0.1:{port}",
        KHO_DATABASE_URL=f"sqlite://{tmp}/kho.db?mode=rwc",
        KHO_BLOB_URL=str(tmp / "blobs"),
        KHO_KEYS_DIR=str(REPO / "keys-dev"),
        KHO_LOG="warn",
        # The run is one client asking fast; the limits are tested elsewhere.
        KHO_OAUTH_PER_MINUTE="1000000",
        KHO_SIGN_IN_PER_MINUTE="1000000",
        KHO_VERIFY_PER_MINUTE="1000000",
    )
    return env


def register_portal(kho: str, env: dict) -> tuple[str, str]:
    subprocess.run([kho, "migrate"], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [kho, "client", "add", "--name", "Cổng thử", "--agency-code", AGENCY, "--role", "portal",
         "--redirect-uri", "https://portal.example/cb", "--secret"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    fields = json.loads(out)
    return fields["client_id"], fields["client_secret"]


def wait_ready(base: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            sys.exit(f"kho serve exited with {server.returncode} before it was ready")
        try:
            if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit("kho serve was not ready within a minute")


def owner_session(base: str) -> tuple[requests.Session, str]:
    owner = requests.Session()
    owner.post(f"{base}/dev/sign-in", data={"identifier": OWNER}, allow_redirects=False)
    csrf = owner.get(f"{base}/v1/me").json()["csrf_token"]
    pdf = b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF\n"
    uploaded = owner.post(
        f"{base}/v1/me/documents",
        headers={"X-CSRF-Token": csrf},
        data={"type": "id-card", "title": "Căn cước"},
        files={"file": ("kc.pdf", pdf, "application/pdf")},
    )
    uploaded.raise_for_status()
    return owner, csrf


def portal_token(base: str, owner, csrf: str, client: tuple[str, str], key) -> str:
    """A CIBA request the owner approves; the portal's DPoP-bound access token."""
    started = requests.post(
        f"{base}/oauth/bc-authorize",
        auth=client,
        data={"login_hint": OWNER, "binding_message": "Hồ sơ 0001",
              "authorization_details": DETAILS},
    )
    if started.status_code != 200:
        sys.exit(f"the CIBA request was refused: {started.status_code} {started.text}")
    auth_req_id = started.json()["auth_req_id"]
    pending = owner.get(f"{base}/v1/me/consents", params={"status": "pending"}).json()
    consent = pending["items"][0]["id"] if "items" in pending else pending[0]["id"]
    detail = owner.get(f"{base}/v1/me/consents/{consent}").json()
    pick = [d["id"] for d in detail["matching_documents"]]
    owner.post(
        f"{base}/v1/me/consents/{consent}/approve",
        headers={"X-CSRF-Token": csrf},
        json={"documents": pick},
    ).raise_for_status()
    for _ in range(10):
        time.sleep(5.5)  # the poll interval
        granted = requests.post(
            f"{base}/oauth/token",
            auth=client,
            headers={"DPoP": proof(key, "POST", f"{base}/oauth/token")},
            data={"grant_type": "urn:openid:params:grant-type:ciba", "auth_req_id": auth_req_id},
        )
        if granted.status_code == 200:
            return granted.json()["access_token"]
    sys.exit(f"the portal got no token: {granted.status_code} {granted.text}")


def schemathesis(base: str, name: str, extra: list[str], env: dict, args) -> bool:
    command = [
        shutil.which("schemathesis") or "schemathesis", "run", f"{base}/openapi.json",
        "--checks", CHECKS,
        "--max-examples", str(args.examples),
        "--seed", str(args.seed),
        "--workers", "2",
        "--phases", "examples,coverage,fuzzing",
        "--request-timeout", "30",
        "--report", "junit",
        "--report-junit-path", str(Path(args.reports) / f"{name}.xml"),
        *extra,
    ]
    print(f"== schemathesis, {name}", flush=True)
    started = time.monotonic()
    done = subprocess.run(command, env=env)
    print(f"== {name}: exit {done.returncode} in {time.monotonic() - started:.0f} s", flush=True)
    return done.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kho", required=True, help="the kho binary")
    parser.add_argument("--examples", type=int, default=250, help="cases per operation and run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reports", default=tempfile.gettempdir(), help="where JUnit reports go")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kho-hostile-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = kho_env(tmp, port)
    client = register_portal(args.kho, env)
    log = open(tmp / "serve.log", "w")
    server = subprocess.Popen([args.kho, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(base, server)
        owner, csrf = owner_session(base)
        key = ec.generate_private_key(ec.SECP256R1())
        token = portal_token(base, owner, csrf, client, key)
        cookie = "; ".join(f"{c.name}={c.value}" for c in owner.cookies)
        fuzz_env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
        portal_env = dict(
            fuzz_env,
            PYTHONPATH=str(HERE),
            SCHEMATHESIS_HOOKS="dpop_hooks",
            KHO_FUZZ_TOKEN=token,
            KHO_FUZZ_PUBLIC_URL=base,
            KHO_FUZZ_DPOP_KEY=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode(),
        )
        runs = [
            ("anonymous", [], fuzz_env),
            # Before the owner's run, which may withdraw the portal's consent.
            ("portal", ["--include-path-regex", "^/v1/shared"], portal_env),
            # Erasure and sign-out would end the run's session: everything else is fair game.
            ("owner", ["-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {csrf}",
                       "--exclude-operation-id", "erase_me",
                       "--exclude-operation-id", "sign_out"], fuzz_env),
        ]
        passed = [schemathesis(base, name, extra, run_env, args) for name, extra, run_env in runs]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    server_log = (tmp / "serve.log").read_text(errors="replace")
    panicked = "panicked" in server_log
    if panicked or not all(passed):
        print(server_log[-20000:])
        print(f"hostile input: findings (runs passed: {passed}, panic in the log: {panicked}); "
              f"the server's files are in {tmp}")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("hostile input: no 5xx, every response as documented, no panic")
    return 0


if __name__ == "__main__":
    sys.exit(main())
