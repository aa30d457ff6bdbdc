"""Schemathesis hooks for the portal's run: every request to /v1/shared carries the portal's
DPoP-bound access token and a fresh proof for its own method and URL (RFC 9449)."""

import os

import schemathesis
from cryptography.hazmat.primitives import serialization

from dpop import proof

KEY = serialization.load_pem_private_key(os.environ["KHO_FUZZ_DPOP_KEY"].encode(), None)
PUBLIC_URL = os.environ["KHO_FUZZ_PUBLIC_URL"]
TOKEN = os.environ["KHO_FUZZ_TOKEN"]


@schemathesis.auth(refresh_interval=None, retry_on=[])
class PortalDpop:
    def get(self, case, context):
        return TOKEN

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"DPoP {data}"
        url = PUBLIC_URL + case.formatted_path
        case.headers["DPoP"] = proof(KEY, case.method.upper(), url, data)
