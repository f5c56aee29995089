"""Frame-level probes of an HTTP/2 server with python3-h2 (a client nobody here wrote).

usage: h2_probe.py PORT streams|rapid-reset|settings-flood
Prints one line of JSON with what the server did.
"""
import json
import socket
import sys

import h2.config
import h2.connection
import h2.events


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def headers(path):
    return [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "probe.test")]


def pump(sock, conn, until):
    """Reads and handles events until until(events_so_far) is true or the server closes."""
    seen = []
    while not until(seen):
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            seen.append("reset")
            break
        if not data:
            seen.append("closed")
            break
        for event in conn.receive_data(data):
            seen.append(event)
            if isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        out = conn.data_to_send()
        if out:
            try:
                sock.sendall(out)
            except (ConnectionResetError, BrokenPipeError):
                seen.append("reset")
                break
    return seen


def streams(port):
    sock, conn = connect(port)
    ids = []
    for i in range(10):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, headers("/probe/%d" % i), end_stream=True)
        ids.append(sid)
    sock.sendall(conn.data_to_send())
    bodies, statuses = {}, {}

    events = pump(sock, conn, lambda ev: sum(isinstance(e, h2.events.StreamEnded) for e in ev) == len(ids))
    for e in events:
        if isinstance(e, h2.events.ResponseReceived):
            statuses[e.stream_id] = dict(e.headers)[b":status"].decode()
        elif isinstance(e, h2.events.DataReceived):
            bodies[e.stream_id] = bodies.get(e.stream_id, b"") + e.data
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()
    return {"statuses": [statuses.get(s) for s in ids],
            "bodies": [bodies.get(s, b"").decode("utf-8", "replace") for s in ids]}


def rapid_reset(port):
    sock, conn = connect(port)
    sent = 0
    try:
        for i in range(2000):
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, headers("/reset/%d" % i), end_stream=True)
            conn.reset_stream(sid)
            sock.sendall(conn.data_to_send())
            sent += 1
    except (ConnectionResetError, BrokenPipeError, h2.exceptions.ProtocolError):
        pass
    events = pump(sock, conn, lambda ev: any(isinstance(e, h2.events.ConnectionTerminated) for e in ev))
    ended = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
    return {"sent": sent, "goaway": int(ended[0].error_code) if ended else None}


def settings_flood(port):
    sock, conn = connect(port)
    frame = b"\x00\x00\x06\x04\x00\x00\x00\x00\x00" + b"\x00\x03\x00\x00\x00\x64"
    sent = 0
    try:
        sock.settimeout(5)
        for i in range(200000):
            sock.sendall(frame * 100)  # never reading the acknowledgements
            sent += 100
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    return {"sent": sent}


if __name__ == "__main__":
    port, probe = int(sys.argv[1]), sys.argv[2]
    result = {"streams": streams, "rapid-reset": rapid_reset, "settings-flood": settings_flood}[probe](port)
    print(json.dumps(result))
