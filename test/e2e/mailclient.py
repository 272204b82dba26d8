#!/usr/bin/env python3
"""mailclient.py - POP3, IMAP and SMTP client with a chosen source address.

For test/e2e/run: every check talks to the real Dovecot and Postfix as a real client
would, from a chosen loopback address (127.0.0.x or ::1), so Dovecot's Login lines
and Postfix's reject lines carry that address.

  mailclient.py pop3 SRC USER PASS [--host H] [--port P]
  mailclient.py imap SRC USER PASS [--host H] [--port P]
      prints "login ok t=EPOCH" (the moment the server accepted the login), exit 0;
      "login failed: ..." and exit 1 otherwise.
  mailclient.py smtp SRC [--host H] [--port P] [--helo NAME] [--from ADDR]
                         --to ADDR [--to ADDR]... [--data TOKEN]
                         [--poll-until CODE --timeout SECS [--since EPOCH]]
      one session per attempt; prints what the server answered:
        connect CODE TEXT | rcpt ADDR CODE TEXT | data CODE TEXT
      --login pop3|imap:USER:PASS:PORT logs in first (same source address) and
      measures from that login.
      With --poll-until, sessions are repeated (no DATA until the first RCPT answers
      CODE; then DATA if --data) until the deadline; the last line is
        poll ok attempts=N elapsed=SECS   (elapsed from --since, default the start)
        poll timeout attempts=N last=CODE
      --conn-timeout SECS limits the connect and each reply (default 10): a
      null-routed client then shows "connect 0 timed out" after SECS.
      Exit 0 when the session (or the poll) ended as asked, 1 otherwise, 2 on usage.
  mailclient.py banner SRC [--host H] [--port P] [--timeout SECS]
                           [--poll SECS [--interval I] [--since EPOCH]]
      a bare TCP connect: reads the greeting and says QUIT (no SMTP command that
      Postfix could reject, so no log line popauthd would count); prints
        banner CODE TEXT elapsed=SECS | timeout after=SECS | error TEXT
      With --poll, attempts repeat until a greeting arrives or SECS pass; last line
        poll ok attempts=N elapsed=SECS | poll timeout attempts=N
      Exit 0 when a greeting arrived, 1 otherwise.
"""
import argparse
import imaplib
import poplib
import signal
import smtplib
import socket
import sys
import time


LOGIN_TIME = [0.0]


def src_tuple(src):
    return (src, 0)


class SrcPOP3(poplib.POP3):
    def __init__(self, host, port, src, timeout):
        self._src = src
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        src_tuple(self._src))


class SrcIMAP4(imaplib.IMAP4):
    def __init__(self, host, port, src, timeout):
        self._src = src
        self._to = timeout
        super().__init__(host, port)

    def _create_socket(self, timeout=None):
        return socket.create_connection((self.host, self.port), self._to,
                                        src_tuple(self._src))


def do_pop3(a):
    try:
        c = SrcPOP3(a.host, a.port, a.src, 10)
        c.user(a.user)
        c.pass_(a.password)
        t = time.time()
        c.stat()
        c.quit()
    except (OSError, poplib.error_proto) as e:
        print("login failed: %s" % e)
        return 1
    LOGIN_TIME[0] = t
    print("login ok t=%.6f" % t)
    return 0


def do_imap(a):
    try:
        c = SrcIMAP4(a.host, a.port, a.src, 10)
        c.login(a.user, a.password)
        t = time.time()
        c.select("INBOX")
        c.logout()
    except (OSError, imaplib.IMAP4.error) as e:
        print("login failed: %s" % e)
        return 1
    LOGIN_TIME[0] = t
    print("login ok t=%.6f" % t)
    return 0


def txt(b):
    if isinstance(b, bytes):
        b = b.decode("utf-8", "replace")
    return " ".join(b.split())


RCPT_TIME = [0.0]


def smtp_session(a, send_data, out):
    """One SMTP session; returns the first RCPT code (0 if none was sent)."""
    first = 0
    try:
        s = smtplib.SMTP(timeout=a.conn_timeout,
                         source_address=src_tuple(a.src))
        code, msg = s.connect(a.host, a.port)
    except smtplib.SMTPConnectError as e:
        out.append("connect %d %s" % (e.smtp_code, txt(e.smtp_error)))
        return -1
    except (OSError, smtplib.SMTPException) as e:
        out.append("connect 0 %s" % e)
        return -1
    out.append("connect %d %s" % (code, txt(msg)))
    try:
        code, msg = s.ehlo(a.helo)
        if code != 250:
            out.append("ehlo %d %s" % (code, txt(msg)))
            s.close()
            return -1
        code, msg = s.mail(a.sender)
        if code != 250:
            out.append("mail %d %s" % (code, txt(msg)))
            s.close()
            return -1
        ok = []
        for r in a.to:
            code, msg = s.rcpt(r)
            out.append("rcpt %s %d %s" % (r, code, txt(msg)))
            if first == 0:
                first = code
                RCPT_TIME[0] = time.time()
            if code == 250:
                ok.append(r)
        if send_data and ok:
            body = ("From: <%s>\r\nTo: <%s>\r\nSubject: e2e %s\r\n"
                    "Message-ID: <%s@e2e.rig.test>\r\n\r\n"
                    "e2e body token %s\r\n") % (a.sender, ok[0], a.data,
                                                a.data, a.data)
            code, msg = s.data(body.encode())
            out.append("data %d %s" % (code, txt(msg)))
        s.quit()
    except smtplib.SMTPServerDisconnected as e:
        out.append("disconnected %s" % e)
    except (OSError, smtplib.SMTPException) as e:
        out.append("error %s" % e)
    return first


def do_smtp(a):
    if a.login is not None:
        # log in first, in this process, so that the time to the first relay is
        # not blurred by starting a second client
        proto, user, password, port = a.login.split(":", 3)
        la = argparse.Namespace(src=a.src, host=a.host, port=int(port),
                                user=user, password=password)
        if (do_pop3 if proto == "pop3" else do_imap)(la) != 0:
            return 1
        a.since = LOGIN_TIME[0]
    if a.poll_until is None:
        out = []
        smtp_session(a, a.data is not None, out)
        print("\n".join(out))
        return 0
    start = a.since if a.since is not None else time.time()
    deadline = time.time() + a.timeout
    n = 0
    last = None
    while True:
        n += 1
        out = []
        code = smtp_session(a, a.data is not None, out)
        if code == a.poll_until:
            print("\n".join(out))
            print("poll ok attempts=%d elapsed=%.3f" % (n, RCPT_TIME[0] - start))
            return 0
        last = code
        lastout = out
        if time.time() >= deadline:
            print("\n".join(lastout))
            print("poll timeout attempts=%d last=%s" % (n, last))
            return 1
        time.sleep(a.interval)


def banner_once(a, out):
    """One TCP connect from a.src; True when a greeting line arrived."""
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    t0 = time.time()
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(a.timeout)
    try:
        c.bind(src_tuple(a.src))
        c.connect((a.host, a.port))
        f = c.makefile("rb")
        line = f.readline(512)
        if not line:
            out.append("error connection closed before the greeting")
            return False
        try:
            c.sendall(b"QUIT\r\n")
            f.readline(512)
        except OSError:
            pass
        code = line[:3].decode("ascii", "replace")
        out.append("banner %s %s elapsed=%.3f" % (code, txt(line[4:]),
                                                  time.time() - t0))
        return True
    except socket.timeout:
        out.append("timeout after=%.3f" % (time.time() - t0))
        return False
    except OSError as e:
        out.append("error %s" % e)
        return False
    finally:
        c.close()


def do_banner(a):
    if a.poll is None:
        out = []
        ok = banner_once(a, out)
        print("\n".join(out))
        return 0 if ok else 1
    start = a.since if a.since is not None else time.time()
    deadline = time.time() + a.poll
    n = 0
    while True:
        n += 1
        out = []
        if banner_once(a, out):
            print("\n".join(out))
            print("poll ok attempts=%d elapsed=%.3f" % (n, time.time() - start))
            return 0
        if time.time() >= deadline:
            print("\n".join(out))
            print("poll timeout attempts=%d" % n)
            return 1
        time.sleep(a.interval)


def main():
    # die by the signal itself, not by KeyboardInterrupt: the calling shell then
    # sees a SIGINT death and stops too (Ctrl-C ends the whole run)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, port in (("pop3", 110), ("imap", 143)):
        q = sub.add_parser(name)
        q.add_argument("src")
        q.add_argument("user")
        q.add_argument("password")
        q.add_argument("--host", default="127.0.0.1")
        q.add_argument("--port", type=int, default=port)
    q = sub.add_parser("smtp")
    q.add_argument("src")
    q.add_argument("--host", default="127.0.0.1")
    q.add_argument("--port", type=int, default=25)
    q.add_argument("--helo", default="client.example.net")
    q.add_argument("--from", dest="sender", default="alice@example.net")
    q.add_argument("--to", action="append", required=True)
    q.add_argument("--data", default=None)
    q.add_argument("--poll-until", type=int, default=None)
    q.add_argument("--timeout", type=float, default=10.0)
    q.add_argument("--interval", type=float, default=0.1)
    q.add_argument("--since", type=float, default=None)
    q.add_argument("--conn-timeout", type=float, default=10.0)
    q.add_argument("--login", default=None,
                   help="pop3|imap:USER:PASS:PORT - log in first; --since = then")
    q = sub.add_parser("banner")
    q.add_argument("src")
    q.add_argument("--host", default="127.0.0.1")
    q.add_argument("--port", type=int, default=25)
    q.add_argument("--timeout", type=float, default=2.0)
    q.add_argument("--poll", type=float, default=None)
    q.add_argument("--interval", type=float, default=0.2)
    q.add_argument("--since", type=float, default=None)
    a = p.parse_args()
    if a.cmd == "pop3":
        return do_pop3(a)
    if a.cmd == "imap":
        return do_imap(a)
    if a.cmd == "banner":
        return do_banner(a)
    return do_smtp(a)


if __name__ == "__main__":
    sys.exit(main())
