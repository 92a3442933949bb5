"""Signing keys: random per process unless the user gives one.

A key written in the source would let anyone mint tokens that every instance accepts, and
tokens of one server would work on another. So, unless the user names a key:

* Wallaroo (Keycloak) signs RS256 with an RSA-2048 key drawn when the first token is made
  (drawing one takes ~50 ms, so not at start-up);
* IAM signs its ``MII...`` tokens with a 256-bit HMAC secret drawn at the same moment.

A team that wants tokens to stay valid across restarts gives a key on purpose: a key file
(``--signing-key-file`` or ``MOCKSERVER_SIGNING_KEY_FILE``; a PEM RSA private key, created
if missing, from which the IAM secret is derived too), or per API in a scenario or state
file (``wallaroo.settings.signing_key``, ``modelarts.settings.token_signing_key``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path
from typing import Any

#: the environment variable naming the key file (the CLI flag is ``--signing-key-file``)
KEY_FILE_ENV = "MOCKSERVER_SIGNING_KEY_FILE"
RSA_BITS = 2048
#: the shortest HMAC secret accepted from a user: SHA-256's output size (PyJWT warns below it)
MIN_SECRET_BYTES = 32


class UnusableKey(ValueError):
    """A key given by the user cannot be used (says why)."""


def b64url(raw: bytes) -> str:
    """Unpadded base64url (JWK members, thumbprints, token parts)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class RsaKey:
    """An RSA private key with what Keycloak publishes about it (``kid``, JWK, realm ``public_key``)."""

    def __init__(self, private_key: Any) -> None:
        from cryptography.hazmat.primitives import serialization

        self.private_key = private_key
        self.public_key = private_key.public_key()
        numbers = self.public_key.public_numbers()
        self.n, self.e = _uint(numbers.n), _uint(numbers.e)
        # RFC 7638 thumbprint: stable for the key, different for every other key
        canonical = f'{{"e":"{self.e}","kty":"RSA","n":"{self.n}"}}'.encode("ascii")
        self.kid = b64url(hashlib.sha256(canonical).digest())
        der = self.public_key.public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
        #: the realm document's ``public_key``: base64 DER, no PEM armour (as Keycloak serves it)
        self.public_key_b64 = base64.b64encode(der).decode("ascii")
        self.pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode("ascii")

    def jwk(self) -> dict[str, Any]:
        """The public key as the JWKS (``certs``) lists it."""
        return {"kid": self.kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": self.n, "e": self.e}

    def derived_secret(self, label: str) -> bytes:
        """A 256-bit secret bound to this key (the IAM key when only a key file is given)."""
        return hmac.new(self.pem.encode("ascii"), label.encode("utf-8"), hashlib.sha256).digest()


def generate_rsa() -> RsaKey:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return RsaKey(rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS))


_PARSED: dict[str, RsaKey] = {}


def rsa_from_pem(text: str) -> RsaKey:
    """An RSA private key (PEM, >= 2048 bits); raises :class:`UnusableKey` with the reason."""
    cached = _PARSED.get(text)
    if cached is not None:
        return cached
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if "PRIVATE KEY-----" not in text:
        raise UnusableKey("must be an RSA private key in PEM form (-----BEGIN PRIVATE KEY-----...)")
    try:
        private_key = serialization.load_pem_private_key(text.encode("utf-8"), password=None)
    except (ValueError, TypeError) as error:
        raise UnusableKey(f"is not a readable unencrypted PEM private key ({error})") from None
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise UnusableKey("must be an RSA key (Keycloak signs RS256)")
    if private_key.key_size < RSA_BITS:
        raise UnusableKey(f"is {private_key.key_size} bits; RS256 keys must have at least {RSA_BITS}")
    key = RsaKey(private_key)
    if len(_PARSED) > 64:
        _PARSED.clear()
    _PARSED[text] = key
    return key


def check_secret(text: str) -> bytes:
    """A user-given HMAC secret, refused when shorter than 256 bits."""
    raw = text.encode("utf-8")
    if len(raw) < MIN_SECRET_BYTES:
        raise UnusableKey(f"is {len(raw)} bytes; HMAC-SHA256 secrets must have at least {MIN_SECRET_BYTES}")
    return raw


class ProcessKeys:
    """The keys of this process: from the key file if one is configured, else random (lazily)."""

    IAM_LABEL = "mockserver iam token key"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rsa: RsaKey | None = None
        self._secret: bytes | None = None
        self._file: Path | None = None
        self._env_read = False

    def use_file(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        """Sign with the key in ``path``; a missing file is created (0600) with a new key."""
        file = Path(path)
        if not create and not file.exists():
            raise UnusableKey("does not exist")
        if file.exists():
            try:
                key = rsa_from_pem(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as error:
                raise UnusableKey(f"cannot be read ({error})") from None
        else:
            key = generate_rsa()
            try:
                fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as out:
                    out.write(key.pem)
            except OSError as error:
                raise UnusableKey(f"cannot be created ({error.strerror})") from None
        with self._lock:
            self._file, self._rsa, self._secret = file, key, key.derived_secret(self.IAM_LABEL)

    def _from_env(self) -> bool:
        """Load the key file named by the environment, once; whether one is configured."""
        if self._file is None and not self._env_read:
            self._env_read = True
            path = os.environ.get(KEY_FILE_ENV)
            if path:
                self.use_file(path)
        return self._file is not None

    def rsa(self) -> RsaKey:
        if self._rsa is None and not self._from_env():
            key = generate_rsa()
            with self._lock:
                if self._rsa is None:
                    self._rsa = key
        assert self._rsa is not None
        return self._rsa

    def secret(self) -> bytes:
        if self._secret is None and not self._from_env():
            secret = secrets.token_bytes(MIN_SECRET_BYTES)
            with self._lock:
                if self._secret is None:
                    self._secret = secret
        assert self._secret is not None
        return self._secret


#: the one set of keys of this process
PROCESS_KEYS = ProcessKeys()
