#!/usr/bin/env python3
"""A stand-in for systemd's notification socket (tests/pkg/package.sh).

    notify-sink.py SOCKET LOG

Binds an AF_UNIX datagram socket at SOCKET (what a service finds in
$NOTIFY_SOCKET) and appends each message to LOG as "PID FIELD" lines, one per
line of the message, PID being the sender's (SCM_CREDENTIALS, as systemd
checks NotifyAccess=main). Runs until killed.
"""
import os
import socket
import struct
import sys


def main():
    path, log = sys.argv[1], sys.argv[2]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    os.chmod(path, 0o600)
    cred_len = struct.calcsize("3i")
    with open(log, "a", buffering=1) as out:
        out.write("0 LISTENING\n")
        while True:
            data, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(cred_len))
            pid = 0
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:cred_len])[0]
            for line in data.decode("utf-8", "replace").splitlines():
                out.write("%d %s\n" % (pid, line))


if __name__ == "__main__":
    main()
