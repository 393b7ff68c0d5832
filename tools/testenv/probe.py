#!/usr/bin/env python3
"""Stdlib-only helpers for tools/testenv (no third-party packages).

  probe.py free-port                 print a free TCP port on 127.0.0.1
  probe.py port-free PORT            exit 0 if a server could listen on 127.0.0.1:PORT
  probe.py kafka-cluster-id          print a random Kafka cluster id (base64url UUID)
  probe.py mongo-ping HOST PORT      OP_MSG {ping: 1} on admin; exit 0 if ok == 1
  probe.py kafka-ready HOST PORT     ApiVersions + Metadata; exit 0 once the broker
                                     answers and lists itself in the metadata
  probe.py go-mod-dir                read `go mod download -json` on stdin, print Dir
"""
import base64
import json
import socket
import struct
import sys
import uuid


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port):
    # As the servers do (Go's net.Listen and Java's ServerSocket set SO_REUSEADDR):
    # connections in TIME_WAIT from a server that just stopped on this port do not
    # make it taken, a process listening on it does.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
        except OSError:
            return False
    return True


def kafka_cluster_id():
    while True:
        u = uuid.uuid4().bytes
        s = base64.urlsafe_b64encode(u).decode().rstrip("=")
        if not s.startswith("-") and u != bytes(16):
            return s


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


# --- MongoDB wire protocol (OP_MSG) ---------------------------------------

def bson_doc(items):
    body = b""
    for key, value in items:
        k = key.encode() + b"\x00"
        if isinstance(value, bool):
            body += b"\x08" + k + (b"\x01" if value else b"\x00")
        elif isinstance(value, int):
            body += b"\x10" + k + struct.pack("<i", value)
        elif isinstance(value, str):
            v = value.encode() + b"\x00"
            body += b"\x02" + k + struct.pack("<i", len(v)) + v
        else:
            raise TypeError(type(value))
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def bson_top_level_ok(doc):
    """Return the numeric value of the top-level 'ok' field of a BSON document."""
    pos, end = 4, struct.unpack_from("<i", doc, 0)[0] - 1
    while pos < end:
        t = doc[pos]
        pos += 1
        name_end = doc.index(b"\x00", pos)
        name = doc[pos:name_end].decode()
        pos = name_end + 1
        if t == 0x01:  # double
            val = struct.unpack_from("<d", doc, pos)[0]
            pos += 8
        elif t == 0x10:  # int32
            val = struct.unpack_from("<i", doc, pos)[0]
            pos += 4
        elif t in (0x12, 0x09, 0x11):  # int64, datetime, timestamp
            val = struct.unpack_from("<q", doc, pos)[0]
            pos += 8
        elif t == 0x08:  # bool
            val = doc[pos]
            pos += 1
        elif t in (0x02, 0x0D, 0x0E):  # string, js, symbol
            pos += 4 + struct.unpack_from("<i", doc, pos)[0]
            val = None
        elif t in (0x03, 0x04):  # document, array
            pos += struct.unpack_from("<i", doc, pos)[0]
            val = None
        elif t == 0x05:  # binary
            pos += 5 + struct.unpack_from("<i", doc, pos)[0]
            val = None
        elif t == 0x07:  # ObjectId
            pos += 12
            val = None
        elif t in (0x0A, 0x7F, 0xFF):  # null, maxkey, minkey
            val = None
        elif t == 0x13:  # decimal128
            pos += 16
            val = None
        else:
            raise ValueError("unsupported BSON type 0x%02x" % t)
        if name == "ok":
            return val
    return None


def mongo_ping(host, port):
    doc = bson_doc([("ping", 1), ("$db", "admin")])
    payload = struct.pack("<I", 0) + b"\x00" + doc
    msg = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload
    with socket.create_connection((host, port), timeout=3) as s:
        s.sendall(msg)
        length, _req, _resp, opcode = struct.unpack("<iiii", recv_exact(s, 16))
        body = recv_exact(s, length - 16)
    if opcode != 2013:
        raise ValueError("unexpected opcode %d" % opcode)
    if body[4] != 0:
        raise ValueError("unexpected section kind %d" % body[4])
    ok = bson_top_level_ok(body[5:])
    if ok != 1:
        raise ValueError("ping answered ok=%r" % ok)


# --- Kafka protocol (ApiVersions v0, Metadata v4..v8) ---------------------

def kafka_request(sock, api_key, api_version, corr, body):
    client_id = b"primesync-testenv"
    header = struct.pack(">hhih", api_key, api_version, corr, len(client_id)) + client_id
    req = header + body
    sock.sendall(struct.pack(">i", len(req)) + req)
    (size,) = struct.unpack(">i", recv_exact(sock, 4))
    resp = recv_exact(sock, size)
    (got_corr,) = struct.unpack_from(">i", resp, 0)
    if got_corr != corr:
        raise ValueError("correlation id mismatch")
    return resp[4:]


def kafka_ready(host, port):
    with socket.create_connection((host, port), timeout=3) as s:
        resp = kafka_request(s, 18, 0, 1, b"")
        (err,) = struct.unpack_from(">h", resp, 0)
        if err != 0:
            raise ValueError("ApiVersions error %d" % err)
        (n,) = struct.unpack_from(">i", resp, 2)
        versions = {}
        for i in range(n):
            key, lo, hi = struct.unpack_from(">hhh", resp, 6 + 6 * i)
            versions[key] = (lo, hi)
        lo, hi = versions.get(3, (0, -1))
        v = min(hi, 8)
        if v < max(lo, 4):
            raise ValueError("no usable Metadata version in %r" % ((lo, hi),))
        # topics = [] (empty, non-null), allow_auto_topic_creation=false,
        # v8 adds include_cluster/topic_authorized_operations
        body = struct.pack(">i", 0) + b"\x00"
        if v >= 8:
            body += b"\x00\x00"
        resp = kafka_request(s, 3, v, 2, body)
        # v3+: throttle_time_ms, then brokers array
        (nbrokers,) = struct.unpack_from(">i", resp, 4)
        if nbrokers < 1:
            raise ValueError("metadata lists no broker yet")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    try:
        if cmd == "free-port":
            print(free_port())
        elif cmd == "port-free":
            return 0 if port_free(int(argv[2])) else 1
        elif cmd == "kafka-cluster-id":
            print(kafka_cluster_id())
        elif cmd == "mongo-ping":
            mongo_ping(argv[2], int(argv[3]))
        elif cmd == "kafka-ready":
            kafka_ready(argv[2], int(argv[3]))
        elif cmd == "go-mod-dir":
            print(json.load(sys.stdin)["Dir"])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (OSError, ValueError, ConnectionError, struct.error) as e:
        print("%s: %s" % (cmd, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
