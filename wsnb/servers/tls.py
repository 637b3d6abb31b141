"""TLS for the lab servers: a throwaway certificate authority, so that ``wss://`` works offline.

``serve("echo", tls=True)`` serves ``wss://`` with a certificate for
127.0.0.1, ``localhost`` and ``::1`` issued by a test CA made for that
server (trustme makes both; nothing touches the system's trust store). A
client that does not trust the CA fails the TLS handshake, as a browser
does with a self-signed certificate: ``error``, then ``close`` 1006, and
wsnb's ``failure.kind`` is ``"tls"``. The server hands a client what it
needs to trust it: ``server.client_ssl`` (an ``ssl.SSLContext``) and
``server.ca_pem`` (the CA certificate, for other tools).

A server in a child process (``spawn(..., tls=True)``) gets its certificate
from the parent through a PEM file (``--certfile``), so that the parent's
``client_ssl`` trusts it and a restart keeps it. From a shell,
``wsnb serve echo --tls`` makes a CA and writes its certificate to a file
(``--ca-file``) for other clients to trust; ``--certfile``/``--keyfile``
serve a certificate of your own (from mkcert, say).
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LabCertificate", "ServesTls"]


@dataclass(frozen=True)
class LabCertificate:
    """A server certificate and the CA that issued it, as the two SSL contexts that use them.

    Attributes:
        server_ssl: For the server: presents the certificate.
        client_ssl: For a client: trusts the issuing CA (and nothing else),
            or the system's trust store when the CA is not known.
        ca_pem: The CA certificate, PEM-encoded; :obj:`None` when not known.
        server_pem: The server's private key and certificate chain, PEM;
            :obj:`None` when loaded from files (they stay where they are).
    """

    server_ssl: ssl.SSLContext
    client_ssl: ssl.SSLContext
    ca_pem: bytes | None
    server_pem: bytes | None = None

    @classmethod
    def make(cls) -> LabCertificate:
        """Make a new test CA and a certificate for 127.0.0.1, localhost and ::1.

        Raises:
            ModuleNotFoundError: If trustme is missing, saying how to install it.
        """
        try:
            import trustme
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                "serving wss:// needs the trustme package (a wsnb dependency): pip install trustme", name=exc.name
            ) from None
        ca = trustme.CA()
        certificate = ca.issue_cert("127.0.0.1", "localhost", "::1")
        server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(server_ssl)
        client_ssl = ssl.create_default_context()
        ca.configure_trust(client_ssl)
        return cls(
            server_ssl=server_ssl,
            client_ssl=client_ssl,
            ca_pem=ca.cert_pem.bytes(),
            server_pem=certificate.private_key_and_cert_chain_pem.bytes(),
        )

    @classmethod
    def load(
        cls, certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str] | None = None
    ) -> LabCertificate:
        """Serve the certificate in ``certfile`` (with its key there or in ``keyfile``).

        Raises:
            ValueError: If a file is missing or holds no usable certificate and key, naming it.
        """
        server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            server_ssl.load_cert_chain(certfile, keyfile)
        except (OSError, ssl.SSLError) as exc:
            files = f"{certfile}" + (f" and {keyfile}" if keyfile is not None else "")
            raise ValueError(f"cannot serve TLS with {files}: {exc}") from None
        return cls(server_ssl=server_ssl, client_ssl=ssl.create_default_context(), ca_pem=None)


class ServesTls:
    """What a server object (in the kernel or in a child process) hands a client of its ``wss://`` URL."""

    certificate: LabCertificate | None
    """With ``tls=True``, the certificate served and its test CA; else None."""

    @property
    def client_ssl(self) -> ssl.SSLContext | None:
        """With ``tls=True``: an SSL context that trusts the server's test CA, for ``WebSocket(url, ssl=...)``."""
        return self.certificate.client_ssl if self.certificate is not None else None

    @property
    def ca_pem(self) -> bytes | None:
        """With ``tls=True``: the test CA's certificate (PEM), for tools other than wsnb; else None."""
        return self.certificate.ca_pem if self.certificate is not None else None


def write_private(data: bytes, prefix: str) -> Path:
    """Write ``data`` to a new temporary file that only this user can read; return its path.

    The caller removes the file when it is done with it.
    """
    descriptor, name = tempfile.mkstemp(prefix=prefix, suffix=".pem")  # mode 0600
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return Path(name)
