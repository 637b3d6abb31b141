"""TLS for the lab servers: a throwaway certificate authority, so that ``wss://`` works offline.

``serve("echo", tls=True)`` serves ``wss://`` with a certificate for
127.0.0.1, ``localhost`` and ``::1`` issued by a test CA made for that
server (trustme makes both; nothing touches the system's trust store). A
client that does not trust the CA fails the TLS handshake, as a browser
does with a self-signed certificate: ``error``, then ``close`` 1006, and
wsnb's ``failure.kind`` is ``"tls"``. The server hands a client what it
needs to trust it: ``server.client_ssl`` (an ``ssl.SSLContext``) and
``server.ca_pem`` (the CA certificate, for other tools).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

__all__ = ["LabCertificate"]


@dataclass(frozen=True)
class LabCertificate:
    """A test CA and the server certificate it issued, as the two SSL contexts that use them.

    Attributes:
        server_ssl: For the server: presents the certificate.
        client_ssl: For a client: trusts the test CA (and nothing else).
        ca_pem: The CA certificate, PEM-encoded.
    """

    server_ssl: ssl.SSLContext
    client_ssl: ssl.SSLContext
    ca_pem: bytes

    @classmethod
    def make(cls) -> LabCertificate:
        """Make a new test CA and a certificate for 127.0.0.1, localhost and ::1.

        Raises:
            ModuleNotFoundError: If trustme is not installed, saying how to install it.
        """
        try:
            import trustme
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                "serving wss:// needs the trustme package: pip install 'wsnb[tls]'", name=exc.name
            ) from None
        ca = trustme.CA()
        certificate = ca.issue_cert("127.0.0.1", "localhost", "::1")
        server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(server_ssl)
        client_ssl = ssl.create_default_context()
        ca.configure_trust(client_ssl)
        return cls(server_ssl=server_ssl, client_ssl=client_ssl, ca_pem=ca.cert_pem.bytes())
