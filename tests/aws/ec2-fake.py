#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
A local EC2 endpoint for corovip's tests (issue 18): the Query API of
../shared/cloud-api-brief.md §2 on 127.0.0.1, NOT AWS. Every request's
Signature Version 4 is verified independently of the client under test, with
Debian's python3-botocore (botocore.auth.SigV4Auth recomputes the signature
from what came over the wire); a request that fails the check is answered as
EC2 would (SignatureDoesNotMatch, RequestExpired, AuthFailure) and counted.

State: ENIs (private IPs, subnet, tags), route tables (routes, tags),
Elastic IPs (association, tags). Calls: AssignPrivateIpAddresses,
UnassignPrivateIpAddresses, DescribeNetworkInterfaces, ReplaceRoute,
DescribeRouteTables, AssociateAddress, DisassociateAddress,
DescribeAddresses, CreateTags.

An IMDSv2 endpoint on a second port: PUT /latest/api/token (TTL header),
then GETs with the token: instance-id, mac, the ENI of a MAC, the region,
and the role's credentials (short-lived, registered with the EC2 side).

Control (unsigned, JSON, for the test only): POST /_fake/faults with counts
of answers to inject on the next calls: {"throttle": N, "error5xx": N,
"bad_xml": N, "skew_s": S (the server's clock is S s off), "lag_ms": M
(a mutation is seen by Describe calls M ms later), "expire_credentials": true
(every issued role credential expires now)}; GET /_fake/stats (verified,
rejected, calls by action, the last rejection's reason); GET /_fake/state.

  ec2-fake.py EC2_PORT IMDS_PORT STATE.json [--region R] [--bind ADDR]
STATE.json: {"keys": {"AKID": "secret"}, "enis": {...}, "route_tables": {...},
"addresses": {...}, "instance": {"id":..., "mac":..., "eni":...},
"instances": {"ADDRESS": {...}} (IMDS's answer by the asking address)}
"""
import datetime
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
LOCK = threading.Lock()


def esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


class Fake:
    def __init__(self, state, region):
        self.region = region
        self.keys = dict(state.get("keys", {}))  # akid -> secret (static)
        self.issued = {}  # akid -> (secret, token, expires_epoch)
        self.enis = state.get("enis", {})
        self.tables = state.get("route_tables", {})
        self.addresses = state.get("addresses", {})
        self.instance = state.get("instance", {})
        self.instances = state.get("instances", {})  # by the asking address (a bed)
        self.faults = {"throttle": 0, "error5xx": 0, "bad_xml": 0}
        self.skew_s = 0
        self.lag_ms = 0
        self.history = []  # lag_ms: (when it shows, the state after a change), oldest first
        self.stats = {"verified": 0, "rejected": 0, "calls": {}, "last_rejection": ""}
        self.tokens = {}  # IMDS token -> expiry

    # ---- SigV4, checked with botocore ----
    def verify(self, method, path, headers, body):
        auth = headers.get("Authorization", "")
        amz_date = headers.get("X-Amz-Date", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return 400, "IncompleteSignature", "no AWS4-HMAC-SHA256 Authorization header"
        fields = {}
        for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
            k, _, v = part.strip().partition("=")
            fields[k] = v
        try:
            akid, date, region, service, term = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            given = fields["Signature"]
        except (KeyError, ValueError):
            return 400, "IncompleteSignature", "malformed Authorization header"
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            return 400, "IncompleteSignature", "no valid X-Amz-Date"
        now = time.time() + self.skew_s
        if abs(now - when.timestamp()) > 300:
            return 400, "RequestExpired", "Request has expired (X-Amz-Date %s)" % amz_date
        if date != amz_date[:8] or region != self.region or service != "ec2" or term != "aws4_request":
            return 403, "SignatureDoesNotMatch", "credential scope %s" % fields["Credential"]
        for need in ("host", "x-amz-date"):
            if need not in signed:
                return 403, "SignatureDoesNotMatch", "%s not signed" % need
        token = None
        if akid in self.keys:
            secret = self.keys[akid]
        elif akid in self.issued:
            secret, token, expires = self.issued[akid]
            if time.time() >= expires:
                return 401, "AuthFailure", "the security token included in the request is expired"
            if headers.get("X-Amz-Security-Token") != token or "x-amz-security-token" not in signed:
                return 401, "AuthFailure", "missing or unsigned session token"
        else:
            return 401, "AuthFailure", "unknown access key %s" % akid
        req = AWSRequest(method=method, url="http://%s%s" % (headers.get("Host"), path),
                         data=body, headers={h: headers.get(h) for h in signed if headers.get(h) is not None})
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(akid, secret, token), "ec2", self.region)
        if sorted(signer.headers_to_sign(req).keys()) != sorted(signed):
            return 403, "SignatureDoesNotMatch", "signed headers %s" % signed
        want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
        if want != given:
            return 403, "SignatureDoesNotMatch", "signature %s, botocore computes %s" % (given, want)
        return 200, None, None

    # ---- views (lag_ms: each change shows in Describe calls lag_ms after it) ----
    def snapshot(self):
        return json.loads(json.dumps({"enis": self.enis, "tables": self.tables,
                                      "addresses": self.addresses}))

    def seen(self):
        now = time.time()
        if not self.lag_ms or not self.history:
            return {"enis": self.enis, "tables": self.tables, "addresses": self.addresses}
        view = self.history[0][1]
        for t, snap in self.history:
            if t <= now:
                view = snap
        while len(self.history) > 1 and self.history[1][0] <= now:
            self.history.pop(0)  # (the first one shown stays as the base)
        return view

    def mutated(self, before):
        if not self.lag_ms:
            self.history = []
            return
        if not self.history:
            self.history = [(0, before)]
        self.history.append((time.time() + self.lag_ms / 1000.0, self.snapshot()))

    # ---- the calls ----
    def call(self, p):
        action = p.get("Action", "")
        if p.get("Version") != "2016-11-15":
            return 400, err("InvalidParameterValue", "Version")
        fn = getattr(self, "do_" + action, None)
        if not fn:
            return 400, err("InvalidAction", "The action %s is not valid for this web service." % esc(action))
        return fn(p)

    def eni_of_ip(self, ip):
        for eid, e in self.enis.items():
            if ip in e["ips"]:
                return eid
        return None

    def do_AssignPrivateIpAddresses(self, p):
        eid = p.get("NetworkInterfaceId", "")
        if eid not in self.enis:
            return 400, err("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist" % esc(eid))
        ips = lst(p, "PrivateIpAddress")
        realloc = p.get("AllowReassignment") == "true"
        before = self.snapshot()
        for ip in ips:
            other = self.eni_of_ip(ip)
            if other and other != eid:
                if self.enis[other]["subnet"] != self.enis[eid]["subnet"]:
                    return 400, err("InvalidParameterValue", "Address %s is in another subnet" % ip)
                if not realloc:
                    return 400, err("InvalidParameterValue", "Address %s is in use." % ip)
                self.enis[other]["ips"].remove(ip)
            if ip not in self.enis[eid]["ips"]:
                self.enis[eid]["ips"].append(ip)
        self.mutated(before)
        items = "".join("<item><privateIpAddress>%s</privateIpAddress></item>" % esc(i) for i in ips)
        return 200, ok("AssignPrivateIpAddresses", "<networkInterfaceId>%s</networkInterfaceId>"
                       "<assignedPrivateIpAddressesSet>%s</assignedPrivateIpAddressesSet>" % (esc(eid), items))

    def do_UnassignPrivateIpAddresses(self, p):
        eid = p.get("NetworkInterfaceId", "")
        if eid not in self.enis:
            return 400, err("InvalidNetworkInterfaceID.NotFound", "no such ENI")
        before = self.snapshot()
        for ip in lst(p, "PrivateIpAddress"):
            if ip not in self.enis[eid]["ips"]:
                return 400, err("InvalidParameterValue", "Some of the specified addresses are not assigned to interface %s" % esc(eid))
            self.enis[eid]["ips"].remove(ip)
        self.mutated(before)
        return 200, ok("UnassignPrivateIpAddresses", "<return>true</return>")

    def do_DescribeNetworkInterfaces(self, p):
        want = lst(p, "NetworkInterfaceId")
        view = self.seen()["enis"]
        flt = filters(p)
        for name in flt:
            if name != "addresses.private-ip-address":
                return 400, err("InvalidParameterValue", "The filter '%s' is invalid" % esc(name))
        out = []
        for eid in want or sorted(view):
            if eid not in view:
                return 400, err("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist" % esc(eid))
            e = view[eid]
            ips = flt.get("addresses.private-ip-address")
            if ips is not None and not set(ips) & set(e["ips"]):
                continue
            ips = "".join("<item><privateIpAddress>%s</privateIpAddress><primary>%s</primary></item>"
                          % (esc(ip), "true" if k == 0 else "false") for k, ip in enumerate(e["ips"]))
            att = "<attachment><instanceId>%s</instanceId></attachment>" % esc(e["instance"]) if e.get("instance") else ""
            out.append("<item><networkInterfaceId>%s</networkInterfaceId><subnetId>%s</subnetId>%s"
                       "<privateIpAddressesSet>%s</privateIpAddressesSet>%s</item>"
                       % (esc(eid), esc(e["subnet"]), att, ips, tagset(e)))
        return 200, ok("DescribeNetworkInterfaces", "<networkInterfaceSet>%s</networkInterfaceSet>" % "".join(out))

    def do_ReplaceRoute(self, p):
        tid, cidr, eid = p.get("RouteTableId", ""), p.get("DestinationCidrBlock", ""), p.get("NetworkInterfaceId", "")
        if tid not in self.tables:
            return 400, err("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist" % esc(tid))
        if cidr not in self.tables[tid]["routes"]:
            return 400, err("InvalidRoute.NotFound", "no route with destination-cidr-block %s in route table %s" % (esc(cidr), esc(tid)))
        if eid not in self.enis:
            return 400, err("InvalidNetworkInterfaceID.NotFound", "no such ENI")
        before = self.snapshot()
        self.tables[tid]["routes"][cidr] = eid
        self.mutated(before)
        return 200, ok("ReplaceRoute", "<return>true</return>")

    def do_DescribeRouteTables(self, p):
        want = lst(p, "RouteTableId")
        view = self.seen()["tables"]
        out = []
        for tid in want or sorted(view):
            if tid not in view:
                return 400, err("InvalidRouteTableID.NotFound", "no such table")
            t = view[tid]
            routes = "".join("<item><destinationCidrBlock>%s</destinationCidrBlock><networkInterfaceId>%s"
                             "</networkInterfaceId><state>active</state><origin>CreateRoute</origin></item>"
                             % (esc(c), esc(e)) for c, e in sorted(t["routes"].items()))
            out.append("<item><routeTableId>%s</routeTableId><routeSet>%s</routeSet><associationSet/>%s</item>"
                       % (esc(tid), routes, tagset(t)))
        return 200, ok("DescribeRouteTables", "<routeTableSet>%s</routeTableSet>" % "".join(out))

    def do_AssociateAddress(self, p):
        aid, eid = p.get("AllocationId", ""), p.get("NetworkInterfaceId", "")
        if aid not in self.addresses:
            return 400, err("InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist" % esc(aid))
        if eid not in self.enis:
            return 400, err("InvalidNetworkInterfaceID.NotFound", "no such ENI")
        a = self.addresses[aid]
        if a.get("eni") and p.get("AllowReassociation") == "false":
            return 400, err("Resource.AlreadyAssociated", "resource %s is already associated" % esc(aid))
        private = p.get("PrivateIpAddress") or self.enis[eid]["ips"][0]
        if private not in self.enis[eid]["ips"]:
            return 400, err("InvalidParameterValue", "%s is not an address of %s" % (esc(private), esc(eid)))
        before = self.snapshot()
        a.update(eni=eid, private_ip=private, association="eipassoc-" + secrets.token_hex(8))
        self.mutated(before)
        return 200, ok("AssociateAddress", "<return>true</return><associationId>%s</associationId>" % a["association"])

    def do_DisassociateAddress(self, p):
        assoc = p.get("AssociationId", "")
        before = self.snapshot()
        for a in self.addresses.values():
            if a.get("association") == assoc:
                a.update(eni="", private_ip="", association="")
        self.mutated(before)
        return 200, ok("DisassociateAddress", "<return>true</return>")

    def do_DescribeAddresses(self, p):
        want = lst(p, "AllocationId")
        view = self.seen()["addresses"]
        out = []
        for aid in want or sorted(view):
            if aid not in view:
                return 400, err("InvalidAllocationID.NotFound", "no such allocation")
            a = view[aid]
            assoc = ("<associationId>%s</associationId><networkInterfaceId>%s</networkInterfaceId>"
                     "<privateIpAddress>%s</privateIpAddress>" % (esc(a["association"]), esc(a["eni"]), esc(a["private_ip"]))
                     if a.get("association") else "")
            out.append("<item><publicIp>%s</publicIp><allocationId>%s</allocationId><domain>vpc</domain>%s%s</item>"
                       % (esc(a["public_ip"]), esc(aid), assoc, tagset(a)))
        return 200, ok("DescribeAddresses", "<addressesSet>%s</addressesSet>" % "".join(out))

    def do_CreateTags(self, p):
        ids = lst(p, "ResourceId")
        tags = {}
        for n in range(1, 51):
            k = p.get("Tag.%d.Key" % n)
            if k is None:
                break
            tags[k] = p.get("Tag.%d.Value" % n, "")
        before = self.snapshot()
        for rid in ids:
            res = self.enis.get(rid) or self.tables.get(rid) or self.addresses.get(rid)
            if res is None:
                return 400, err("InvalidID", "The ID '%s' is not valid" % esc(rid))
            res.setdefault("tags", {}).update(tags)
        self.mutated(before)
        return 200, ok("CreateTags", "<return>true</return>")


def lst(p, name):
    out, n = [], 1
    while ("%s.%d" % (name, n)) in p:
        out.append(p["%s.%d" % (name, n)])
        n += 1
    return out


def filters(p):
    """Filter.N.Name / Filter.N.Value.M -> {name: [values]} (ANDed across names)."""
    out, n = {}, 1
    while ("Filter.%d.Name" % n) in p:
        out[p["Filter.%d.Name" % n]] = lst(p, "Filter.%d.Value" % n)
        n += 1
    return out


def tagset(res):
    return "<tagSet>%s</tagSet>" % "".join("<item><key>%s</key><value>%s</value></item>" % (esc(k), esc(v))
                                           for k, v in sorted(res.get("tags", {}).items()))


def ok(action, inner):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s"><requestId>%s</requestId>%s</%sResponse>'
            % (action, NS, secrets.token_hex(8), inner, action))


def err(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message>'
            '</Error></Errors><RequestID>%s</RequestID></Response>' % (esc(code), esc(message), secrets.token_hex(8)))


FAKE = None


class Ec2Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, ctype="text/xml;charset=UTF-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        with LOCK:
            if self.path == "/_fake/stats":
                return self.reply(200, json.dumps(FAKE.stats), "application/json")
            if self.path == "/_fake/state":
                return self.reply(200, json.dumps({"enis": FAKE.enis, "route_tables": FAKE.tables,
                                                   "addresses": FAKE.addresses}), "application/json")
        self.reply(400, err("InvalidAction", "GET is not served here"))

    def do_POST(self):
        body = self.body()
        with LOCK:
            if self.path == "/_fake/faults":
                f = json.loads(body or b"{}")
                for k in ("throttle", "error5xx", "bad_xml"):
                    FAKE.faults[k] = max(0, FAKE.faults[k] + int(f.get(k, 0)))
                FAKE.skew_s = f.get("skew_s", FAKE.skew_s)
                FAKE.lag_ms = f.get("lag_ms", FAKE.lag_ms)
                if f.get("expire_tokens"):
                    for t in FAKE.tokens:
                        FAKE.tokens[t] = 0
                if f.get("expire_credentials"):
                    for akid in FAKE.issued:
                        s, t, _ = FAKE.issued[akid]
                        FAKE.issued[akid] = (s, t, 0)
                return self.reply(200, "{}", "application/json")
            status, code, why = FAKE.verify("POST", self.path, self.headers, body)
            if status != 200:
                FAKE.stats["rejected"] += 1
                FAKE.stats["last_rejection"] = "%s: %s" % (code, why)
                return self.reply(status, err(code, why))
            FAKE.stats["verified"] += 1
            p = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            action = p.get("Action", "?")
            FAKE.stats["calls"][action] = FAKE.stats["calls"].get(action, 0) + 1
            if FAKE.faults["throttle"]:
                FAKE.faults["throttle"] -= 1
                return self.reply(503, err("RequestLimitExceeded", "Request limit exceeded."))
            if FAKE.faults["error5xx"]:
                FAKE.faults["error5xx"] -= 1
                return self.reply(500, err("InternalError", "An internal error has occurred"))
            if FAKE.faults["bad_xml"]:
                FAKE.faults["bad_xml"] -= 1
                return self.reply(200, "<%sResponse><requestId>x</requ" % action)
            status, xml = FAKE.call(p)
        self.reply(status, xml)


class ImdsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if self.path != "/latest/api/token":
            return self.reply(404, "Not Found")
        try:
            ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
        except ValueError:
            return self.reply(400, "Bad Request")
        if not 1 <= ttl <= 21600 or self.headers.get("X-Forwarded-For"):
            return self.reply(400, "Bad Request")
        token = secrets.token_urlsafe(24)
        with LOCK:
            FAKE.tokens[token] = time.time() + ttl
        self.reply(200, token)

    def do_GET(self):
        with LOCK:
            token = self.headers.get("X-aws-ec2-metadata-token")
            if not token or FAKE.tokens.get(token, 0) <= time.time():
                return self.reply(401, "Unauthorized")
            # a bed's nodes each ask from their own address
            inst = FAKE.instances.get(self.client_address[0], FAKE.instance)
            base = "/latest/meta-data/"
            paths = {
                base + "instance-id": inst.get("id", ""),
                base + "mac": inst.get("mac", ""),
                base + "placement/region": FAKE.region,
                base + "network/interfaces/macs/%s/interface-id" % inst.get("mac", ""): inst.get("eni", ""),
                base + "iam/security-credentials/": inst.get("role", "corovip-role"),
            }
            if self.path in paths:
                return self.reply(200, paths[self.path])
            if self.path == base + "iam/security-credentials/" + inst.get("role", "corovip-role"):
                akid = "ASIA" + secrets.token_hex(8).upper()
                secret, tok = secrets.token_urlsafe(30), secrets.token_urlsafe(60)
                life = int(inst.get("credential_life_s", 3600))
                FAKE.issued[akid] = (secret, tok, time.time() + life)
                exp = datetime.datetime.fromtimestamp(time.time() + life, datetime.timezone.utc)
                return self.reply(200, json.dumps({
                    "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": akid,
                    "SecretAccessKey": secret, "Token": tok,
                    "LastUpdated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}))
        self.reply(404, "Not Found")


def main():
    global FAKE
    args = sys.argv[1:]
    region, bind = "us-east-1", "127.0.0.1"
    if "--region" in args:
        i = args.index("--region")
        region = args[i + 1]
        del args[i:i + 2]
    if "--bind" in args:  # a test bed's own namespace (tests/aws/failover.sh)
        i = args.index("--bind")
        bind = args[i + 1]
        del args[i:i + 2]
    ec2_port, imds_port, state_file = int(args[0]), int(args[1]), args[2]
    with open(state_file) as f:
        FAKE = Fake(json.load(f), region)
    ec2 = ThreadingHTTPServer((bind, ec2_port), Ec2Handler)
    imds = ThreadingHTTPServer((bind, imds_port), ImdsHandler)
    threading.Thread(target=imds.serve_forever, daemon=True).start()
    print("ready", flush=True)
    ec2.serve_forever()


if __name__ == "__main__":
    main()
