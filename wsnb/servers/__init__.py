"""Lab servers: small, deterministic WebSocket servers for the course.

Every notebook starts the servers it needs, so it works offline. Run one in
the kernel's event loop::

    server = await wsnb.servers.serve("echo")      # or: async with serve(...)
    server.url                                     # "ws://127.0.0.1:PORT/"
    await server.close()

or in a child process that can be killed and restarted::

    process = wsnb.servers.spawn("echo")
    process.kill(); process.restart()

or from a shell: ``wsnb serve echo --port 8765``. Servers listen on
127.0.0.1 and a free port by default, and accept a web page's handshake
only from a loopback page (:mod:`~wsnb.servers.origins`: ``origins=[...]``
or ``--origin`` adds others). Each module's docstring lists the URLs and
commands its server accepts:

* ``echo`` (:mod:`~wsnb.servers.echo`): sends every message back.
* ``close-lab`` (:mod:`~wsnb.servers.close_lab`): closes as the client asks.
* ``reject`` (:mod:`~wsnb.servers.reject`): refuses the handshake with HTTP.
* ``subprotocol`` (:mod:`~wsnb.servers.subprotocol`): picks a subprotocol.
* ``slow-reader`` (:mod:`~wsnb.servers.slow_reader`): stops reading.
* ``bad-frames`` (:mod:`~wsnb.servers.bad_frames`): sends invalid frames.
* ``stream`` (:mod:`~wsnb.servers.stream`): pushes bursts of messages.
* ``flaky`` (:mod:`~wsnb.servers.flaky`): drops connections; acknowledges.
* ``silent`` (:mod:`~wsnb.servers.silent`): stops answering pings.
* ``rate-limit`` (:mod:`~wsnb.servers.rate_limit`): closes clients that send too fast.
* ``chat`` (:mod:`~wsnb.servers.chat`): rooms, joins, typing, broadcast;
  ``broker=`` a Redis URL to share rooms across processes, ``ack=True``
  for acknowledged delivery.
* ``ticker`` (:mod:`~wsnb.servers.ticker`): seeded price updates for symbols;
  ``broker=`` a Redis URL for one stream per symbol across processes.
* ``game`` (:mod:`~wsnb.servers.game`): moves, state broadcast, ping/pong.
* ``quality`` (:mod:`~wsnb.servers.quality`): a stream at a requested quality.
* ``big`` (:mod:`~wsnb.servers.big`): a small size limit, large messages.
* ``request`` (:mod:`~wsnb.servers.request`): answers requests by id, reordered on demand.
* ``auth`` (:mod:`~wsnb.servers.auth`): a token in the first message, the query, a header or a subprotocol.

Scale-out: :mod:`~wsnb.servers.broker` holds the in-process and the Redis
broker of the fan-out servers, and :class:`LocalRedis` starts a real
``redis-server`` on a free loopback port for them::

    with LocalRedis() as redis:
        processes = [spawn("chat", broker=redis.url) for _ in range(3)]

"""

from __future__ import annotations

from ._base import Lab
from .auth import AuthLab
from ._process import ServerProcess, aspawn, spawn
from ._serve import SERVERS, LabServer, make_lab, serve
from .bad_frames import BadFramesLab
from .big import BigLab, big_payload
from .broker import (
    HEARTBEAT,
    PRESENCE_TTL,
    SESSION_TTL,
    Broker,
    InProcessBroker,
    Joined,
    RedisBroker,
    Said,
    check_broker_url,
    make_broker,
)
from .chat import ChatLab
from .close_lab import CloseLab
from .echo import EchoLab
from .flaky import FlakyLab, FlakySession
from .origins import LOOPBACK_ORIGIN, OriginPolicy, is_loopback_host, trust_page_origin, trusted_page_origins
from .tls import LabCertificate, ServesTls
from .game import GameLab
from .quality import QUALITY_FRAME, QUALITY_LEVELS, QualityLab
from .redis_local import REDIS_INSTALL, LocalRedis
from .rate_limit import RateLimitLab
from .reject import RejectLab
from .request import REQUEST_STORE, RequestLab
from .silent import SilentLab
from .slow_reader import SlowReaderLab
from .stream import StreamLab
from .subprotocol import SubprotocolLab
from .ticker import TICKER_UPDATE, TickerLab, price_walk

__all__ = [
    "SERVERS",
    "AuthLab",
    "BadFramesLab",
    "CloseLab",
    "EchoLab",
    "FlakyLab",
    "FlakySession",
    "Lab",
    "LabServer",
    "RejectLab",
    "ServerProcess",
    "SlowReaderLab",
    "StreamLab",
    "SubprotocolLab",
    "aspawn",
    "make_lab",
    "serve",
    "spawn",
    "BigLab",
    "ChatLab",
    "GameLab",
    "QUALITY_FRAME",
    "QUALITY_LEVELS",
    "QualityLab",
    "RateLimitLab",
    "SilentLab",
    "TICKER_UPDATE",
    "TickerLab",
    "big_payload",
    "price_walk",
    "REQUEST_STORE",
    "RequestLab",
    "LOOPBACK_ORIGIN",
    "OriginPolicy",
    "is_loopback_host",
    "trust_page_origin",
    "trusted_page_origins",
    "LabCertificate",
    "ServesTls",
    "LocalRedis",
    "REDIS_INSTALL",
    "HEARTBEAT",
    "PRESENCE_TTL",
    "SESSION_TTL",
    "Broker",
    "InProcessBroker",
    "Joined",
    "RedisBroker",
    "Said",
    "check_broker_url",
    "make_broker",
]
