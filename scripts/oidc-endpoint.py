#!/usr/bin/env python3
"""A small OAuth 2.0 token endpoint for the OIDC tests (started and stopped
by scripts/kafka.sh; a test tool, not part of the library).

  POST https://127.0.0.1:TOKEN_PORT/token   client-credentials grant, the client id
      and secret as HTTP Basic credentials (or client_id/client_secret in the form);
      answers an RS256 JWT (iss, aud, sub = client id, iat, exp, scope) and expires_in.
      The client BAD_CLIENT_ID gets a token signed with a key the JWKS does not hold.
  GET  http://127.0.0.1:JWKS_PORT/jwks      the JWKS with the signing key (plain HTTP:
      the broker fetches it).

Keys are made at start (RSA 2048, Python's `cryptography`). Every token
issued is counted in STATE_DIR/tokens-issued.
"""
import argparse
import base64
import json
import os
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def main() -> None:
    p = argparse.ArgumentParser()
    for name in ("state-dir", "cert", "key", "client-id", "client-secret", "bad-client-id",
                 "issuer", "audience"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--token-port", type=int, required=True)
    p.add_argument("--jwks-port", type=int, required=True)
    p.add_argument("--lifetime", type=int, default=3600)
    a = p.parse_args()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = "ferrokafka-test-key"
    numbers = key.public_key().public_numbers()
    jwks = json.dumps({"keys": [{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                                 "n": uint(numbers.n), "e": uint(numbers.e)}]}).encode()
    issued = [0]
    lock = threading.Lock()

    def jwt(sub: str, scope: str, signer) -> str:
        now = int(time.time())
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
        claims = {"iss": a.issuer, "aud": a.audience, "sub": sub, "iat": now,
                  "exp": now + a.lifetime}
        if scope:
            claims["scope"] = scope
        body = b64url(json.dumps(claims).encode())
        signature = signer.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64url(signature)}"

    class Token(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            if self.path != "/token":
                return self.answer(404, {"error": "not_found"})
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            client_id = form.get("client_id", [""])[0]
            secret = form.get("client_secret", [""])[0]
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                pair = base64.b64decode(auth[6:]).decode()
                client_id, _, secret = pair.partition(":")
                client_id = urllib.parse.unquote_plus(client_id)
                secret = urllib.parse.unquote_plus(secret)
            if form.get("grant_type") != ["client_credentials"]:
                return self.answer(400, {"error": "unsupported_grant_type"})
            if secret != a.client_secret or client_id not in (a.client_id, a.bad_client_id):
                return self.answer(401, {"error": "invalid_client",
                                         "error_description": "unknown client or wrong secret"})
            signer = rogue if client_id == a.bad_client_id else key
            token = jwt(client_id, form.get("scope", [""])[0], signer)
            with lock:
                issued[0] += 1
                with open(os.path.join(a.state_dir, "tokens-issued"), "w") as f:
                    f.write(f"{issued[0]}\n")
            self.answer(200, {"access_token": token, "token_type": "Bearer",
                              "expires_in": a.lifetime})

    class Jwks(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path != "/jwks":
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(jwks)))
            self.end_headers()
            self.wfile.write(jwks)

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(a.cert, a.key)
    token_server = ThreadingHTTPServer(("127.0.0.1", a.token_port), Token)
    token_server.socket = tls.wrap_socket(token_server.socket, server_side=True)
    jwks_server = ThreadingHTTPServer(("127.0.0.1", a.jwks_port), Jwks)
    threading.Thread(target=jwks_server.serve_forever, daemon=True).start()
    with open(os.path.join(a.state_dir, "ready"), "w") as f:
        f.write("ready\n")
    token_server.serve_forever()


if __name__ == "__main__":
    main()
