"""Intrusion forensics from a packet capture and server logs: timeline, IOCs, recovered data, report.

Workflow: the agent receives a pcap from the affected segment plus the web server's access log,
the host's auth log and Northwind's incident and breach procedure. Hidden in ordinary traffic is
an attack chain (which differs by variant): a port scan, a password brute force that ends in a
successful login, a tool download, a C2 beacon (HTTP or DNS) and data exfiltration (DNS tunnelling
or chunked HTTP POSTs, a few chunks sent out of order, encoded and in one variant compressed). The
agent must reconstruct a phase timeline, list the attacker-controlled indicators (IPs, domains, SHA-256 of the downloaded tool),
recover the exfiltrated file byte for byte, read it, and decide under the procedure what to
isolate and reset and whom to notify (the stolen file's defect differs by variant: a few full
card numbers among masked ones, legacy unsalted hashes among bcrypt ones, contractors without
bank details and people on several rows; some people's personal fields, on a third of the seeds
nearly everyone's, encrypted by the key vault, which takes them out of the risk and, were it to
cover everyone, out of the authority's notification; a few records, the person at high risk
furthest down among them, only partly encrypted, which leaves them at risk, one account in the user
dump with its login sealed and its password hash not, named by its user id), then write the
incident report.

Grade: everything is compared with the ground truth the generator used to write the packets
(so the truth is the capture itself): gates on the files and the timeline's columns; phase
windows (start/end within 3 s of the first/last packet of the phase), phase endpoints (source
and destination IPs) and evidence, IOC recall and IOC precision, the recovered file's SHA-256,
the report's exfiltration channel and figures against the submitted file and the truth, the
compromised account and hosts and initial-access time, the C2 channel (domain, protocol,
interval), attacker IPs, ATT&CK techniques per phase and in the report (sub-techniques count for
their parent), the containment decision (hosts to isolate, accounts to reset), the breach
notification verdicts and the people counted (report_checks.py), and the management summary.

ALE-CANARY-4ade4d2e-b6cb-41f8-b293-fdbab00495a3
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params

from .report_checks import check_containment, check_notification, check_summary
from .stolen_data import stolen_file

PCAP = "capture.pcap"
TIMELINE = "timeline.csv"
IOCS = "iocs.csv"
EXFIL = "exfiltrated.bin"
REPORT = "incident_report.json"
PHASES = ("reconnaissance", "credential_access", "initial_access", "tool_transfer", "command_and_control",
          "exfiltration")
TECHNIQUES = {
    "reconnaissance": ["T1046", "T1595"],
    "credential_access": ["T1110"],
    "initial_access": ["T1078", "T1133", "T1190"],
    "tool_transfer": ["T1105"],
    "command_and_control": ["T1071", "T1071.001", "T1071.004"],
    "exfiltration": ["T1048", "T1041", "T1567", "T1071.004", "T1132"],
}

WEB, RESOLVER, GATEWAY = "10.20.0.10", "10.20.0.2", "10.20.0.1"
WORKSTATIONS = ["10.20.0.51", "10.20.0.57", "10.20.0.63", "10.20.0.72"]
BENIGN_DOMAINS = ["security.debian.org", "deb.debian.org", "api.github.com", "time.cloudflare.com",
                  "www.google.com", "login.microsoftonline.com", "pypi.org", "fonts.gstatic.com"]
USER_AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
               "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
               "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"]
PAGES = ["/", "/index.html", "/about", "/products", "/contact", "/static/site.css", "/static/app.js", "/news"]


def _domain(rng: random.Random, words: list[str], tld: str) -> str:
    return f"{rng.choice(words)}-{rng.choice(words)}.{tld}"


class Scene:
    """Packets, log lines and ground truth written together, so that they always agree."""

    def __init__(self, seed: int, start: float) -> None:
        self.rng = random.Random(seed)
        self.t0 = start
        self.packets: list[Any] = []
        self.access: list[tuple[float, str]] = []
        self.auth: list[tuple[float, str]] = []
        self.macs: dict[str, str] = {}
        self.dns: dict[str, str] = {}

    # -- low level ---------------------------------------------------------------------------

    def mac(self, ip: str) -> str:
        if not ip.startswith("10.20."):
            ip = GATEWAY
        if ip not in self.macs:
            self.macs[ip] = "02:42:" + ":".join(f"{self.rng.randrange(256):02x}" for _ in range(4))
        return self.macs[ip]

    def emit(self, t: float, src: str, dst: str, layer: Any) -> None:
        from scapy.all import IP, Ether

        pkt = Ether(src=self.mac(src), dst=self.mac(dst)) / IP(src=src, dst=dst, ttl=64 if src.startswith("10.") else 51) / layer
        pkt.time = t
        self.packets.append(pkt)

    def port(self) -> int:
        return self.rng.randrange(32768, 60999)

    def tcp_session(self, t: float, cli: str, srv: str, dport: int, exchanges: list[tuple[str, bytes]]) -> float:
        """A complete TCP conversation (handshake, data in MSS segments with ACKs, FIN); returns its end time."""
        from scapy.all import TCP, Raw

        sport, rtt = self.port(), self.rng.uniform(0.0008, 0.03)
        cs, ss = self.rng.randrange(2**31), self.rng.randrange(2**31)
        self.emit(t, cli, srv, TCP(sport=sport, dport=dport, flags="S", seq=cs, window=64240))
        self.emit(t + rtt / 2, srv, cli, TCP(sport=dport, dport=sport, flags="SA", seq=ss, ack=cs + 1, window=65160))
        t += rtt
        self.emit(t, cli, srv, TCP(sport=sport, dport=dport, flags="A", seq=cs + 1, ack=ss + 1))
        cs, ss = cs + 1, ss + 1
        for who, data in exchanges:
            a, b, ap, bp = (cli, srv, sport, dport) if who == "c" else (srv, cli, dport, sport)
            for i in range(0, len(data), 1400):
                chunk = data[i:i + 1400]
                t += 0.0004
                s_seq, s_ack = (cs, ss) if who == "c" else (ss, cs)
                self.emit(t, a, b, TCP(sport=ap, dport=bp, flags="PA", seq=s_seq, ack=s_ack) / Raw(chunk))
                if who == "c":
                    cs += len(chunk)
                else:
                    ss += len(chunk)
                self.emit(t + rtt / 2, b, a, TCP(sport=bp, dport=ap, flags="A", seq=ss if who == "c" else cs,
                                                 ack=cs if who == "c" else ss))
            t += rtt + self.rng.uniform(0.001, 0.02)
        self.emit(t, cli, srv, TCP(sport=sport, dport=dport, flags="FA", seq=cs, ack=ss))
        self.emit(t + rtt / 2, srv, cli, TCP(sport=dport, dport=sport, flags="FA", seq=ss, ack=cs + 1))
        self.emit(t + rtt, cli, srv, TCP(sport=sport, dport=dport, flags="A", seq=cs + 1, ack=ss + 1))
        return t + rtt

    def dns_query(self, t: float, client: str, name: str, qtype: str = "A", answer: str | None = None) -> float:
        from scapy.all import DNS, DNSQR, DNSRR, UDP

        qid, sport = self.rng.randrange(65536), self.port()
        self.emit(t, client, RESOLVER, UDP(sport=sport, dport=53) / DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype)))
        rdata = answer if answer is not None else self.dns.get(name, "0.0.0.0")
        rr = DNSRR(rrname=name, type=qtype, ttl=60, rdata=rdata)
        delay = self.rng.uniform(0.004, 0.04)
        self.emit(t + delay, RESOLVER, client, UDP(sport=53, dport=sport) /
                  DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype), an=rr))
        return t + delay

    def http(self, t: float, cli: str, srv: str, method: str, path: str, host: str, status: int, body: bytes = b"",
             request_body: bytes = b"", ctype: str = "text/html", extra: str = "", ua: str = "",
             log: bool = False) -> float:
        ua = ua or self.rng.choice(USER_AGENTS)
        head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\nAccept: */*\r\n"
        if request_body:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(request_body)}\r\n"
        reason = {200: "OK", 302: "Found", 401: "Unauthorized", 404: "Not Found"}[status]
        resp = (f"HTTP/1.1 {status} {reason}\r\nServer: nginx/1.22.1\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n").encode() + body
        end = self.tcp_session(t, cli, srv, 80, [("c", (head + "\r\n").encode() + request_body), ("s", resp)])
        if log:
            stamp = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
            self.access.append((t, f'{cli} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {len(body)} "-" "{ua}"'))
        return end

    def auth_line(self, t: float, text: str) -> None:
        stamp = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%b %e %H:%M:%S")
        self.auth.append((t, f"{stamp} web01 {text}"))

    # -- writing -----------------------------------------------------------------------------

    def write(self, input_dir: Path) -> None:
        from scapy.all import wrpcap

        self.packets.sort(key=lambda p: float(p.time))
        wrpcap(str(input_dir / PCAP), self.packets)
        (input_dir / "access.log").write_text("".join(line + "\n" for _, line in sorted(self.access)))
        (input_dir / "auth.log").write_text("".join(line + "\n" for _, line in sorted(self.auth)))


# -- scenario pieces ---------------------------------------------------------------------------


def _background(s: Scene, t_end: float, external_clients: list[str]) -> None:
    """Ordinary traffic: visitors browsing the web server, workstations resolving names, admins logging in."""
    t = s.t0
    while t < t_end:
        client = s.rng.choice(external_clients + WORKSTATIONS)
        body = (f"<html><body>{s.rng.choice(PAGES)} " + "lorem ipsum " * s.rng.randrange(20, 200)).encode()
        page = s.rng.choice(PAGES)
        s.http(t, client, WEB, "GET", page, "shop.northwind.example", 200 if s.rng.random() > 0.1 else 404, body,
               log=True)
        if s.rng.random() < 0.5:
            ws = s.rng.choice(WORKSTATIONS)
            name = s.rng.choice(BENIGN_DOMAINS)
            s.dns_query(t + s.rng.uniform(0, 2), ws, name, answer=s.dns.setdefault(
                name, f"{s.rng.randrange(13, 200)}.{s.rng.randrange(256)}.{s.rng.randrange(256)}.{s.rng.randrange(1, 255)}"))
        t += s.rng.uniform(3.0, 9.0)
    for k in range(3):
        at = s.t0 + s.rng.uniform(0, t_end - s.t0)
        pid = s.rng.randrange(1000, 60000)
        s.auth_line(at, f"sshd[{pid}]: Accepted publickey for deploy from 10.20.0.{40 + k} port {s.port()} ssh2: "
                        "ED25519 SHA256:q1w2e3r4t5y6u7i8o9p0asdfghjklzxcvbnm12345")
        s.auth_line(at + 0.01, f"sshd[{pid}]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)")
        s.auth_line(at + s.rng.uniform(20, 90), f"sshd[{pid}]: pam_unix(sshd:session): session closed for user deploy")
    s.auth_line(s.t0 + 5, f"CRON[{s.rng.randrange(1000, 60000)}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")


def _scan(s: Scene, t: float, attacker: str, targets: list[str], ports: list[int], open_ports: dict[str, set[int]]) -> float:
    from scapy.all import TCP

    first = t
    for host in targets:
        for port in ports:
            sport = s.port()
            s.emit(t, attacker, host, TCP(sport=sport, dport=port, flags="S", seq=s.rng.randrange(2**31), window=1024))
            if port in open_ports.get(host, set()):
                s.emit(t + 0.001, host, attacker, TCP(sport=port, dport=sport, flags="SA", seq=s.rng.randrange(2**31)))
                s.emit(t + 0.002, attacker, host, TCP(sport=sport, dport=port, flags="R"))
            elif host in open_ports:
                s.emit(t + 0.001, host, attacker, TCP(sport=port, dport=sport, flags="RA", seq=0))
            t += s.rng.uniform(0.01, 0.05)
    return first


def _http_bruteforce(s: Scene, t: float, attacker: str, user: str, tries: int, ua: str) -> tuple[float, float, float]:
    words = ["123456", "password", "admin123", "letmein", "qwerty", "welcome1", "Summer2024!", "changeme", "P@ssw0rd",
             "dragon", "monkey", "football", "iloveyou", "trustno1", "shadow", "master", "hunter2", "abc123"]
    first = t
    last_fail = t
    for i in range(tries):
        pw = words[i % len(words)] + ("" if i < len(words) else str(i))
        body = f"username={user}&password={pw}".encode()
        last_fail = t
        s.http(t, attacker, WEB, "POST", "/login", "shop.northwind.example", 401, b'{"error":"invalid credentials"}',
               body, "application/json", ua=ua, log=True)
        t += s.rng.uniform(0.9, 1.8)
    body = f"username={user}&password=Northwind{s.rng.randrange(10, 99)}!".encode()
    s.http(t, attacker, WEB, "POST", "/login", "shop.northwind.example", 302, b"", body,
           extra=f"Location: /admin\r\nSet-Cookie: session={s.rng.getrandbits(64):016x}; HttpOnly\r\n", ua=ua, log=True)
    return first, last_fail, t


def _ssh_bruteforce(s: Scene, t: float, attacker: str, user: str, tries: int) -> tuple[float, float, float]:
    names = ["root", "admin", "oracle", "test", "ubuntu", user]
    first, last_fail = t, t
    for i in range(tries + 1):
        pid = s.rng.randrange(1000, 60000)
        noise = bytes(s.rng.randrange(256) for _ in range(s.rng.randrange(300, 900)))
        end = s.tcp_session(t, attacker, WEB, 22, [("s", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n"),
                                                   ("c", b"SSH-2.0-libssh2_1.10.0\r\n"), ("c", noise), ("s", noise[::-1])])
        port = 40000 + i
        if i < tries:
            name = names[i % len(names)]
            last_fail = t
            invalid = "" if name in ("root", user) else "invalid user "
            s.auth_line(end, f"sshd[{pid}]: Failed password for {invalid}{name} from {attacker} port {port} ssh2")
        else:
            s.auth_line(end, f"sshd[{pid}]: Accepted password for {user} from {attacker} port {port} ssh2")
            s.auth_line(end + 0.01, f"sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}(uid=1003) by (uid=0)")
            return first, last_fail, end
        t = end + s.rng.uniform(0.6, 1.5)
    return first, last_fail, t


def _out_of_order(count: int, aside: random.Random) -> list[int]:
    """The order in which a tunnel with parallel workers sends ``count`` numbered chunks: a few are overtaken by
    the next one (never the identity when there are two chunks or more)."""
    order = list(range(count))
    for i in aside.sample(range(count - 1), min(max(1, count // 12), count - 1)):
        order[i], order[i + 1] = order[i + 1], order[i]
    return order


def _dns_exfil(s: Scene, t: float, host: str, domain: str, data: bytes, encoding: str,
               aside: random.Random) -> tuple[float, float]:
    text = base64.b32encode(data).decode().rstrip("=").lower() if encoding == "base32" else data.hex()
    size = 52 if encoding == "base32" else 56
    chunks = [text[i:i + size] for i in range(0, len(text), size)]
    session = f"{s.rng.getrandbits(24):06x}"
    first = t
    retries = set(s.rng.sample(list(range(len(chunks))), 2))
    order = _out_of_order(len(chunks), aside)
    for seq in order:
        for _ in range(2 if seq in retries else 1):
            s.dns_query(t, host, f"{chunks[seq]}.{seq:03d}.{session}.{domain}", answer="127.0.0.1")
            last = t
            t += s.rng.uniform(0.15, 0.6)
    return first, last


def _tls_records(rng: random.Random, size: int) -> bytes:
    """Opaque TLS 1.3 application-data records carrying ``size`` bytes of plaintext."""
    out = b""
    while size > 0:
        n = min(size, 16384)
        out += b"\x17\x03\x03" + (n + 17).to_bytes(2, "big") + rng.randbytes(n + 17)
        size -= n
    return out


def _https_get(s: Scene, t: float, cli: str, srv: str, path: str, body: bytes, ua: str,
               tls: random.Random) -> float:
    """A GET over TLS (the server logs it; the wire shows only ciphertext). Draws from ``s.rng`` as ``s.http``
    does, the ciphertext from ``tls``."""
    request = f"GET {path} HTTP/1.1\r\nHost: intranet.northwind.example\r\nUser-Agent: {ua}\r\n\r\n"
    end = s.tcp_session(t, cli, srv, 443, [("c", _tls_records(tls, len(request))),
                                           ("s", _tls_records(tls, len(body) + 160))])
    stamp = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    s.access.append((t, f'{cli} - - [{stamp}] "GET {path} HTTP/1.1" 200 {len(body)} "-" "{ua}"'))
    return end


def _http_exfil(s: Scene, t: float, host: str, dest_ip: str, data: bytes, aside: random.Random) -> tuple[float, float]:
    encoded = base64.b64encode(gzip.compress(data, mtime=0)).decode()
    size = 700
    parts = [encoded[i:i + size] for i in range(0, len(encoded), size)]
    first = t
    for i in _out_of_order(len(parts), aside):
        part = parts[i]
        body = f"id=web01&part={i}&total={len(parts)}&data={part.replace('+', '%2B').replace('/', '%2F').replace('=', '%3D')}"
        last = t
        s.http(t, host, dest_ip, "POST", "/upload.php", dest_ip, 200, b"ok", body.encode(), "text/plain",
               ua="curl/7.88.1")
        t += s.rng.uniform(1.0, 2.5)
    return first, last


# -- generate ----------------------------------------------------------------------------------


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = random.Random(params["seed"])
    start = dt.datetime(2026, rng.randrange(1, 10), rng.randrange(1, 28), rng.randrange(0, 5), rng.randrange(60),
                        tzinfo=dt.UTC).timestamp()
    s = Scene(params["seed"], start)
    pool = [f"{a}.{rng.randrange(1, 255)}" for a in ("203.0.113", "198.51.100", "192.0.2") for _ in range(4)]
    rng.shuffle(pool)
    attacker, stager, c2_ip = pool[0], pool[1], pool[2]
    visitors = pool[3:9]
    words = ["cdn", "sync", "update", "telemetry", "static", "cloud", "metrics", "edge", "node", "api", "relay", "cache"]
    c2_domain = _domain(rng, words, rng.choice(["top", "xyz", "info"]))
    exfil_domain = _domain(rng, words, rng.choice(["net", "click", "online"]))
    while exfil_domain == c2_domain:
        exfil_domain = _domain(rng, words, "net")
    s.dns[c2_domain] = c2_ip
    scenario = params["scenario"]
    payload = bytes(rng.randrange(256) for _ in range(rng.randrange(6000, 14000)))
    phases: dict[str, dict[str, Any]] = {}
    t = start + 60

    if scenario in ("web", "ssh"):
        victim = WEB
        ports = sorted([*rng.sample(range(1, 1025), 120), 22, 80, 443])
        first = _scan(s, t, attacker, [WEB], sorted(set(ports)), {WEB: {22, 80, 443}})
        phases["reconnaissance"] = {"start": first, "end": float(s.packets[-1].time), "src_ip": attacker, "dst_ip": [WEB]}
        t = phases["reconnaissance"]["end"] + rng.uniform(25, 50)
        account = "admin" if scenario == "web" else "backup"
        if scenario == "web":
            b0, b1, ok = _http_bruteforce(s, t, attacker, account, rng.randrange(22, 34), "python-requests/2.31.0")
        else:
            b0, b1, ok = _ssh_bruteforce(s, t, attacker, account, rng.randrange(18, 28))
    else:
        victim = rng.choice(WORKSTATIONS)
        targets = [f"10.20.0.{i}" for i in range(1, 31)]
        open_ports = {WEB: {22, 80}, RESOLVER: {53}, GATEWAY: {22}}
        beacon_start = start + rng.uniform(5, 15)
        first = _scan(s, t + 30, victim, targets, [22, 80, 445, 3389], open_ports)
        phases["reconnaissance"] = {"start": first, "end": float(s.packets[-1].time), "src_ip": victim,
                                    "dst_ip": ["*"]}
        t = phases["reconnaissance"]["end"] + rng.uniform(20, 40)
        account = "jsmith"
        b0, b1, ok = _http_bruteforce(s, t, victim, account, rng.randrange(15, 25), USER_AGENTS[0])
    brute_src = victim if scenario == "pivot" else attacker
    phases["credential_access"] = {"start": b0, "end": b1, "src_ip": brute_src, "dst_ip": [WEB]}
    phases["initial_access"] = {"start": ok, "end": ok, "src_ip": brute_src, "dst_ip": [WEB]}
    compromised = [victim]

    # tool transfer: the foothold fetches a tool from the staging server
    holder = WEB if scenario != "pivot" else victim
    t = ok + rng.uniform(20, 40)
    s.http(t, holder, stager, "GET", "/static/update.bin", stager, 200, payload, ctype="application/octet-stream",
           ua="Wget/1.21.3")
    phases["tool_transfer"] = {"start": t, "end": t, "src_ip": holder, "dst_ip": [stager]}

    # C2 beacon
    interval = float(params["beacon_s"])
    if scenario == "pivot":
        c2_t, c2_end = beacon_start, start + 560
    else:
        c2_t, c2_end = t + rng.uniform(10, 20), t + 330
    beacon_times = []
    host_id = f"{rng.getrandbits(32):08x}"
    resolved = False
    while c2_t < c2_end:
        beacon_times.append(c2_t)
        if params["c2_protocol"] == "dns":
            s.dns_query(c2_t, holder, f"{host_id}.{len(beacon_times)}.{c2_domain}", "TXT",
                        answer=rng.choice(["sleep", "sleep", "noop", "sleep 30"]))
        else:
            if not resolved:
                s.dns_query(c2_t - 0.05, holder, c2_domain)
                resolved = True
            s.http(c2_t, holder, c2_ip, "GET" if scenario == "web" else "POST",
                   f"/api/v1/ping?id={host_id}" if scenario == "web" else "/gate.php", c2_domain, 200,
                   b'{"task":"none"}', b"" if scenario == "web" else f"id={host_id}".encode(),
                   "application/json", ua=USER_AGENTS[2])
        c2_t += interval + rng.uniform(-0.08, 0.08) * interval
    phases["command_and_control"] = {"start": beacon_times[0], "end": beacon_times[-1], "src_ip": holder,
                                     "dst_ip": [RESOLVER, c2_domain] if params["c2_protocol"] == "dns" else [c2_ip]}

    # exfiltration
    aside = random.Random(f"{params['seed']}:aside")  # draws added later, so that older instances do not shift
    stolen = stolen_file(rng, params["secret"], aside, random.Random(f"{params['seed']}:vault"),
                         random.Random(f"{params['seed']}:migration"))
    secret = stolen.data
    t = ok + rng.uniform(150, 200)
    if scenario == "pivot":
        # the foothold pulls the export from the intranet over HTTPS: the capture shows the transfer, not the file
        _https_get(s, ok + rng.uniform(5, 12), victim, WEB, "/export/payroll.csv", secret, USER_AGENTS[0],
                   random.Random(f"{params['seed']}:tls"))
    if params["exfil"] == "http":
        e0, e1 = _http_exfil(s, t, holder, pool[9], secret, aside)
        exfil_dest, exfil_ioc = pool[9], {"ip": [pool[9]]}
    else:
        e0, e1 = _dns_exfil(s, t, holder, exfil_domain, secret, params["exfil"], aside)
        exfil_dest, exfil_ioc = exfil_domain, {"domain": [exfil_domain]}
    phases["exfiltration"] = {"start": e0, "end": e1, "src_ip": holder,
                              "dst_ip": [pool[9]] if params["exfil"] == "http" else [RESOLVER, exfil_domain]}

    _background(s, start + 600, visitors)
    s.write(input_dir)

    iocs = {"ip": sorted({attacker, stager, c2_ip} - ({attacker} if scenario == "pivot" else set())
                         | set(exfil_ioc.get("ip", []))),
            "domain": sorted({c2_domain, *exfil_ioc.get("domain", [])}),
            "sha256": [hashlib.sha256(payload).hexdigest()]}
    if params["c2_protocol"] == "dns":
        iocs["ip"] = sorted(set(iocs["ip"]) - {c2_ip})
    reference = {
        "phases": {k: {**v, "start": _iso(v["start"]), "end": _iso(v["end"]), "start_t": v["start"], "end_t": v["end"]}
                   for k, v in phases.items()},
        "iocs": iocs,
        "exfil_sha256": hashlib.sha256(secret).hexdigest(), "exfil_bytes": len(secret),
        "exfil_destination": exfil_dest, "exfil_protocol": "http" if params["exfil"] == "http" else "dns",
        "compromised_account": account, "compromised_hosts": sorted(compromised),
        "initial_access_t": ok,
        "c2": {"domain": c2_domain, "protocol": params["c2_protocol"], "interval_s": interval},
        "containment": {"isolate_hosts": sorted(compromised),
                        "reset_accounts": sorted({account, *stolen.credential_accounts})},
        "notification": {"personal_data_breach": True, "notify_authority": not stolen.all_sealed,
                         "notify_data_subjects": stolen.high_risk > 0, "data_subjects_affected": stolen.people,
                         "data_subjects_to_notify": stolen.high_risk},
    }
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")


# -- grade -------------------------------------------------------------------------------------


def parse_time(text: str) -> float | None:
    """An ISO 8601 timestamp (Z, an offset, or none meaning UTC; optional fraction) as epoch seconds."""
    value = str(text or "").strip().replace(" ", "T")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.timestamp()


def _technique_ok(found: str, accepted: list[str]) -> bool:
    tid = str(found or "").strip().upper()
    return any(tid == a or tid.split(".")[0] == a for a in accepted)


def _norm_ioc(value: str) -> str:
    return str(value or "").strip().lower().rstrip(".")


def _check_timeline(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    by_phase: dict[str, dict[str, str]] = {}
    for row in rows:
        by_phase.setdefault(row.get("phase", "").strip().lower(), row)
    windows, ends, techniques = [], [], []
    for phase in PHASES:
        truth, row = ref["phases"][phase], by_phase.get(phase)
        if row is None:
            windows.append(f"{phase}: missing")
            ends.append(f"{phase}: missing")
            techniques.append(f"{phase}: missing")
            continue
        a, b = parse_time(row.get("start_utc", "")), parse_time(row.get("end_utc", ""))
        if a is None or b is None or abs(a - truth["start_t"]) > 3 or abs(b - truth["end_t"]) > 3:
            windows.append(f"{phase}: {row.get('start_utc')}..{row.get('end_utc')} (want {truth['start']}..{truth['end']})")
        dst_ok = "*" in truth["dst_ip"] or _norm_ioc(row.get("dst_ip", "")) in [_norm_ioc(d) for d in truth["dst_ip"]]
        if row.get("src_ip", "").strip() != truth["src_ip"] or not dst_ok:
            ends.append(f"{phase}: {row.get('src_ip')} -> {row.get('dst_ip')}")
        elif not str(row.get("evidence") or "").strip():
            ends.append(f"{phase}: no evidence stated")
        if not _technique_ok(row.get("technique_id", ""), TECHNIQUES[phase]):
            techniques.append(f"{phase}: {row.get('technique_id')!r}")
    n = len(PHASES)
    g.check("timeline: phase windows match the capture (3 s)", (n - len(windows)) / n, weight=2.0,
            expected={p: [ref["phases"][p]["start"], ref["phases"][p]["end"]] for p in PHASES},
            reason="; ".join(windows))
    g.check("timeline: source, destination and evidence of each phase", (n - len(ends)) / n, reason="; ".join(ends))
    g.check("timeline: ATT&CK technique per phase", (n - len(techniques)) / n, reason="; ".join(techniques))


def _check_iocs(g: Grading, ref: dict[str, Any], rows: list[dict[str, str]]) -> None:
    truth = {(kind, _norm_ioc(v)) for kind, values in ref["iocs"].items() for v in values}
    listed = set()
    for row in rows:
        kind = row.get("type", "").strip().lower()
        kind = {"ipv4": "ip", "ip_address": "ip", "hostname": "domain", "fqdn": "domain", "hash": "sha256",
                "file_sha256": "sha256"}.get(kind, kind)
        if kind in ("ip", "domain", "sha256") and str(row.get("context") or "").strip():
            listed.add((kind, _norm_ioc(row.get("value", ""))))
    found = truth & listed
    g.check("IOCs: recall of attacker indicators", len(found) / len(truth), weight=2.0,
            expected=sorted(v for _, v in truth), found=sorted(v for _, v in listed),
            reason=f"missing: {sorted(v for _, v in truth - listed)}" if truth - listed else "")
    precision = len(found) / len(listed) if listed else 0.0
    g.check("IOCs: precision (no benign or victim indicators)", precision,
            reason=f"not attacker indicators: {sorted(v for _, v in listed - truth)}" if listed - truth else "")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _check_report(g: Grading, ref: dict[str, Any], report: Any, exfil_sha: str, exfil_len: int) -> None:
    rep = report if isinstance(report, dict) else {}
    ex = rep.get("exfiltration") if isinstance(rep.get("exfiltration"), dict) else {}
    wrong = []
    if str(ex.get("sha256", "")).strip().lower() != exfil_sha:
        wrong.append(f"sha256 {ex.get('sha256')!r} is not the hash of exfiltrated.bin")
    if ex.get("bytes") != exfil_len:
        wrong.append(f"bytes {ex.get('bytes')!r} is not the size of exfiltrated.bin ({exfil_len})")
    if _norm_ioc(ex.get("destination", "")) != _norm_ioc(ref["exfil_destination"]):
        wrong.append(f"destination {ex.get('destination')!r}")
    if str(ex.get("protocol", "")).strip().lower() != ref["exfil_protocol"]:
        wrong.append(f"protocol {ex.get('protocol')!r}")
    g.check("report: exfiltration channel and figures agree with the recovered file", not wrong,
            reason="; ".join(wrong))
    wrong = []
    if str(rep.get("compromised_account", "")).strip() != ref["compromised_account"]:
        wrong.append(f"compromised_account {rep.get('compromised_account')!r}")
    if sorted(h.strip() for h in _as_list(rep.get("compromised_hosts"))) != ref["compromised_hosts"]:
        wrong.append(f"compromised_hosts {rep.get('compromised_hosts')!r}")
    when = parse_time(rep.get("initial_access_utc", ""))
    if when is None or abs(when - ref["initial_access_t"]) > 3:
        wrong.append(f"initial_access_utc {rep.get('initial_access_utc')!r}")
    g.check("report: compromised account, hosts and initial access time", not wrong, reason="; ".join(wrong))
    c2 = rep.get("c2") if isinstance(rep.get("c2"), dict) else {}
    truth = ref["c2"]
    interval = c2.get("interval_seconds")
    ok_interval = isinstance(interval, (int, float)) and not isinstance(interval, bool) and \
        abs(interval - truth["interval_s"]) <= 0.15 * truth["interval_s"]
    ok = _norm_ioc(c2.get("domain", "")) == truth["domain"] and str(c2.get("protocol", "")).lower() == truth["protocol"]
    g.check("report: C2 channel (domain, protocol, beacon interval)", ok and ok_interval, expected=truth, found=c2)
    listed = sorted(_norm_ioc(v) for v in _as_list(rep.get("attacker_ips")))
    g.check("report: attacker infrastructure IPs", listed == ref["iocs"]["ip"], expected=ref["iocs"]["ip"],
            found=listed)
    techniques = _as_list(rep.get("attack_techniques"))
    uncovered = [p for p in PHASES if not any(_technique_ok(t, TECHNIQUES[p]) for t in techniques)]
    g.check("report: ATT&CK techniques cover every phase", not uncovered, found=techniques,
            reason=f"no technique for {uncovered}" if uncovered else "")
    check_containment(g, ref, rep)
    check_notification(g, ref, rep)
    check_summary(g, ref, rep)


def grade(g: Grading) -> None:
    if not g.require_files(TIMELINE, IOCS, EXFIL, REPORT):
        return
    ref = g.reference_json("reference.json")
    timeline = g.read_csv(TIMELINE, required_columns=["phase", "start_utc", "end_utc", "src_ip", "dst_ip",
                                                       "technique_id", "evidence"])
    iocs = g.read_csv(IOCS, required_columns=["type", "value", "context"])
    report = g.read_json(REPORT)
    if timeline is None or iocs is None or report is None:
        return
    _check_timeline(g, ref, timeline)
    _check_iocs(g, ref, iocs)
    data = g.output(EXFIL).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    g.check("exfiltrated data recovered byte for byte", digest == ref["exfil_sha256"], weight=2.0,
            expected={"sha256": ref["exfil_sha256"], "bytes": ref["exfil_bytes"]},
            found={"sha256": digest, "bytes": len(data)})
    _check_report(g, ref, report, digest, len(data))
