#!/bin/bash
# The EC2 client (cloud/aws-client.c, through cloud/corovip-aws) against
# tests/aws/ec2-fake.py: a local endpoint on 127.0.0.1 written for these
# tests (NOT AWS) that checks every request's SigV4 signature with
# python3-botocore, an implementation other than libcurl's that signs them.
# Covers: the secondary private IP move (AllowReassignment) and its limit
# (not across subnets), a route's target, an Elastic IP's association, tags
# read back; two movers racing in each mode (write, tag, verify: the newer
# stamp ends holding it; aws-move.h); throttling and 5xx retried to success, throttling to the
# deadline, a 2xx that is no XML, clock skew (RequestExpired, said as
# such), a wrong secret (SignatureDoesNotMatch); the instance role's
# credentials through IMDSv2 (a session token, signed), fetched again after
# they expire (AuthFailure), and an expired IMDS token replaced (401).
# Every request the fake verified is counted; none may be rejected but the
# ones made to be.
#   tests/aws/client.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
python3 -c 'import botocore' 2>/dev/null || { echo "SKIP: needs python3-botocore"; exit 77; }
aws=$build/cloud/corovip-aws
dir=$(mktemp -d)
fake_pid=""
cleanup() { [ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ ! -s "$dir/fake.log" ] || tail -5 "$dir/fake.log"; exit 1; }

read -r ec2_port imds_port < <(python3 -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
cat >"$dir/state.json" <<'EOS'
{"keys": {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
 "enis": {"eni-0aaa": {"ips": ["10.0.0.10"], "subnet": "subnet-1", "instance": "i-01"},
          "eni-0bbb": {"ips": ["10.0.0.11", "10.0.0.50"], "subnet": "subnet-1", "instance": "i-02"},
          "eni-0ccc": {"ips": ["10.0.1.12"], "subnet": "subnet-2", "instance": "i-03"}},
 "route_tables": {"rtb-0123": {"routes": {"192.168.10.10/32": "eni-0bbb"}}},
 "addresses": {"eipalloc-01": {"public_ip": "198.51.100.7", "eni": "eni-0bbb", "private_ip": "10.0.0.11", "association": "eipassoc-1"},
               "eipalloc-02": {"public_ip": "198.51.100.8", "eni": "", "private_ip": "", "association": ""}},
 "instance": {"id": "i-01", "mac": "02:00:00:00:00:01", "eni": "eni-0aaa", "role": "corovip-role", "credential_life_s": 3600}}
EOS
python3 "$top/tests/aws/ec2-fake.py" "$ec2_port" "$imds_port" "$dir/state.json" >"$dir/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do grep -q ready "$dir/fake.log" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$dir/fake.log" || fail "the fake endpoint did not start"
ec2=http://127.0.0.1:$ec2_port
faults() { curl -sf -d "$1" "$ec2/_fake/faults" >/dev/null; }
stat() { curl -sf "$ec2/_fake/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
# after_first_call N: until the fake has verified more than N requests (5 s at most)
after_first_call() {
	local t
	for t in $(seq 100); do [ "$(stat verified)" -gt "$1" ] && return 0; sleep 0.05; done
	fail "no request reached the fake"
}
export AWS_REGION=us-east-1 AWS_ENDPOINT_URL_EC2=$ec2/
keys() { AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' "$aws" "$@"; }

# ---- the three ways a VIP moves, with static keys ----
out=$(keys describe-eni eni-0bbb) || fail "describe-eni: $out"
[ "$out" = "eni-0bbb 10.0.0.11 10.0.0.50" ] || fail "describe-eni eni-0bbb said: $out"
keys assign eni-0aaa 10.0.0.50 >/dev/null || fail "assign"
[ "$(keys describe-eni eni-0aaa)" = "eni-0aaa 10.0.0.10 10.0.0.50" ] || fail "10.0.0.50 not on eni-0aaa"
[ "$(keys describe-eni eni-0bbb)" = "eni-0bbb 10.0.0.11" ] || fail "10.0.0.50 still on eni-0bbb"
if out=$(keys assign eni-0ccc 10.0.0.50 2>&1); then fail "an assign across subnets succeeded"; fi
grep -q "InvalidParameterValue: Address 10.0.0.50 is in another subnet" <<<"$out" || fail "across subnets: $out"
echo "ok - secondary private IP moved with AllowReassignment (10.0.0.50: eni-0bbb -> eni-0aaa); across subnets refused: $out"
keys replace-route rtb-0123 192.168.10.10/32 eni-0aaa >/dev/null || fail "replace-route"
[ "$(keys describe-route rtb-0123 192.168.10.10/32)" = "192.168.10.10/32 eni-0aaa active" ] || fail "the route"
keys associate eipalloc-01 eni-0aaa 10.0.0.10 >/dev/null || fail "associate"
out=$(keys describe-address eipalloc-01)
[[ "$out" == "198.51.100.7 eni-0aaa 10.0.0.10 eipassoc-"* ]] || fail "the address: $out"
keys tag eni-0aaa corovip:web 5.1 >/dev/null || fail "tag"
keys describe-eni eni-0aaa | grep -qx "tag corovip:web=5.1" || fail "the tag: $(keys describe-eni eni-0aaa)"
echo "ok - route table target replaced, Elastic IP re-associated, an epoch tag written and read back"
[ "$(stat rejected)" = 0 ] || fail "the fake rejected a request: $(stat last_rejection)"

# ---- write, tag, verify: two movers at once, in every mode ----
# owner MODE: the ENI that has the VIP now; tagged MODE: its stamp
owner() {
	case $1 in
	secondary-ip | secondary-found) for e in eni-0aaa eni-0bbb; do keys describe-eni $e | grep -q " 10.0.0.50$" && echo $e; done ;;
	route) keys describe-route rtb-0123 192.168.10.10/32 | head -1 | cut -d' ' -f2 ;;
	elastic-ip) keys describe-address eipalloc-01 | head -1 | cut -d' ' -f2 ;;
	eip2) keys describe-address eipalloc-02 | head -1 | cut -d' ' -f2 ;;
	esac
}
move() { # MODE ENI PEER STAMP
	case $1 in
	secondary-ip) keys move secondary-ip web 10.0.0.50 "$2" --peer "$3" --stamp "$4" ;;
	# no --peer (as corovipd): the ENIs that have the IP, found by a filter
	secondary-found) keys move secondary-ip web 10.0.0.50 "$2" --stamp "$4" ;;
	route) keys move route ovl 192.168.10.10/32 "$2" --route-table rtb-0123 --stamp "$4" ;;
	elastic-ip) keys move elastic-ip pub eipalloc-01 "$2" --stamp "$4" ;;
	esac
}
faults '{"lag_ms": 200}' # EC2 shows a change eventually
for mode in secondary-ip secondary-found route elastic-ip; do
	for round in 1 2 3 4; do
		old=eni-0aaa new=eni-0bbb
		[ $((round % 2)) = 0 ] && old=eni-0bbb new=eni-0aaa
		e=$((round * 10)) ring=3
		[ $mode = secondary-found ] && ring=4 # after secondary-ip's, on the same IP
		set +e
		move $mode $old $new "$ring.$e.1" >"$dir/old.out" 2>&1 &
		po=$!
		move $mode $new $old "$ring.$((e + 1)).2" >"$dir/new.out" 2>&1
		rn=$?
		wait $po
		ro=$?
		set -e
		[ $rn = 0 ] || fail "$mode race $round: the newer mover: exit $rn: $(cat "$dir/new.out")"
		[ $ro = 3 ] || [ $ro = 0 ] || fail "$mode race $round: the older mover: exit $ro: $(cat "$dir/old.out")"
		# the older may have verified before the newer took it back; it ends with the newer
		for _ in $(seq 40); do [ "$(owner $mode)" = $new ] && break; sleep 0.1; done
		[ "$(owner $mode)" = $new ] || fail "$mode race $round: on $(owner $mode), not the newer mover's $new"
	done
	echo "ok - $mode: 4 races of two movers (stamps R.N.1 and R.N+1.2, EC2 showing changes 200 ms late): the newer ends holding it every time, the older told stale or overtaken"
done
faults '{"lag_ms": 0}'
out=$(move secondary-ip eni-0aaa eni-0bbb 4.1.1) && fail "a mover older than the holder wrote: $out"
grep -q "^stale: a newer move" <<<"$out" || fail "an old mover: $out"
echo "ok - a mover with an older stamp than the holder's yields without writing: $out"

# ---- the backend (mode elastic_ip) on the one-shot runner, as the OCF agent runs it ----
printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' >"$dir/creds"
for n in 1 2; do
	eni=eni-0aaa
	[ $n = 2 ] && eni=eni-0bbb
	cat >"$dir/n$n.conf" <<EOC
node n1 {
}
node n2 {
}
cloud ec2 {
	type: aws
	region: us-east-1
	endpoint: $ec2/
	credentials_file: $dir/creds
}
vip pub {
	address: 198.51.100.8/32
	backend: aws
	mode: elastic_ip
	cloud: ec2
	allocation_id: eipalloc-02
	eni: $eni
}
EOC
done
vip() { # NODE EPOCH OP
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$aws" --epoch "$2" --node "$1" vip "$dir/n$1.conf" pub "$3"
}
expect_exit() { # CODE WHAT CMD...
	local want=$1 what=$2 rc=0 out
	shift 2
	out=$("$@" 2>&1) || rc=$?
	[ $rc = "$want" ] || fail "$what: exit $rc, not $want: $out"
}
expect_exit 0 "n1 acquire (epoch 100)" vip 1 100 acquire
[ "$(owner eip2)" = eni-0aaa ] || fail "after n1's acquire: on $(owner eip2)"
keys describe-address eipalloc-02 | grep -qx "tag corovip:pub=0.100.1" || fail "no stamp of n1's move"
expect_exit 0 "n1 monitor" vip 1 100 monitor
expect_exit 7 "n2 monitor (not ours)" vip 2 100 monitor
expect_exit 3 "n2 acquire with an older epoch" vip 2 99 acquire
[ "$(owner eip2)" = eni-0aaa ] || fail "a stale acquire moved it: on $(owner eip2)"
expect_exit 0 "n2 acquire (epoch 101)" vip 2 101 acquire
[ "$(owner eip2)" = eni-0bbb ] || fail "after n2's acquire: on $(owner eip2)"
expect_exit 7 "n1 monitor after n2 took it" vip 1 100 monitor
expect_exit 0 "n1 release (not ours: nothing to let go)" vip 1 100 release
[ "$(owner eip2)" = eni-0bbb ] || fail "n1's release moved it: on $(owner eip2)"
expect_exit 0 "n2 release" vip 2 101 release
[ "$(owner eip2)" = - ] || fail "after n2's release: on $(owner eip2)"
echo "ok - backend aws, mode elastic_ip, one-shot: acquire (stamp tagged), monitor (7 when not ours), a stale acquire refused (3), a newer one takes it, release lets go only what is ours"

# the region, this instance's ENI and the role's credentials all from IMDS
cat >"$dir/n3.conf" <<EOC
node n1 {
}
node n3 {
}
cloud ec2 {
	type: aws
	endpoint: $ec2/
	imds: http://127.0.0.1:$imds_port
}
vip pub {
	address: 198.51.100.8/32
	backend: aws
	mode: elastic_ip
	cloud: ec2
	allocation_id: eipalloc-02
}
EOC
env -u AWS_REGION -u AWS_ENDPOINT_URL_EC2 "$aws" --epoch 200 --node 3 vip "$dir/n3.conf" pub acquire \
	>"$dir/n3.out" 2>&1 || fail "acquire with IMDS's region and ENI: $(cat "$dir/n3.out")"
[ "$(owner eip2)" = eni-0aaa ] || fail "after the acquire with IMDS's ENI: on $(owner eip2)"
env -u AWS_REGION -u AWS_ENDPOINT_URL_EC2 "$aws" --epoch 200 --node 3 vip "$dir/n3.conf" pub release \
	>"$dir/n3.out" 2>&1 || fail "release with IMDS's region and ENI: $(cat "$dir/n3.out")"
[ "$(owner eip2)" = - ] || fail "after the release: on $(owner eip2)"
echo "ok - no region, no eni, no keys in the config: IMDS's placement/region, the ENI of its mac and the role's credentials; acquire and release"

# the OCF agent, backend=aws (as Pacemaker runs it: OCF_RESKEY_*, an action;
# its L2 build runs its cloud build): start, monitor, stop, and validation
ocf() { # ACTION NODE ENI [KEY=VALUE...]: sets RC
	local action=$1 node=$2 eni=$3 kv
	local env=(OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=pub OCF_RESKEY_CRM_meta_on_node_uuid="$node"
		OCF_RESKEY_backend=aws OCF_RESKEY_ip=198.51.100.8 OCF_RESKEY_allocation_id=eipalloc-02
		OCF_RESKEY_region=us-east-1 OCF_RESKEY_endpoint="$ec2/" OCF_RESKEY_credentials_file="$dir/creds"
		OCF_RESKEY_op_timeout=5)
	[ -z "$eni" ] || env+=(OCF_RESKEY_eni="$eni")
	shift 3
	for kv in "$@"; do env+=("OCF_RESKEY_$kv"); done
	RC=0
	OUT=$(env -i "${env[@]}" "$build/ocf/corovip-ocf-vip" "$action" 2>&1) || RC=$?
}
ocf monitor 1 eni-0aaa
[ $RC = 7 ] || fail "OCF monitor before start: $RC, not 7 (not running): $OUT"
ocf start 1 eni-0aaa
[ $RC = 0 ] || fail "OCF start: $RC: $OUT"
[ "$(owner eip2)" = eni-0aaa ] || fail "after the OCF start: on $(owner eip2)"
ocf monitor 1 eni-0aaa
[ $RC = 0 ] || fail "OCF monitor: $RC: $OUT"
ocf start 2 eni-0bbb
[ $RC = 0 ] || fail "OCF start on node 2: $RC: $OUT"
[ "$(owner eip2)" = eni-0bbb ] || fail "after node 2's OCF start: on $(owner eip2)"
ocf monitor 1 eni-0aaa
[ $RC = 7 ] || fail "OCF monitor on node 1 after node 2 took it: $RC, not 7: $OUT"
ocf stop 2 eni-0bbb
[ $RC = 0 ] || fail "OCF stop: $RC: $OUT"
[ "$(owner eip2)" = - ] || fail "after the OCF stop: on $(owner eip2)"
ocf validate-all 1 ""
[ $RC = 6 ] || fail "OCF validate-all with no eni and no imds: $RC, not 6 (not configured): $OUT"
grep -q "eni" <<<"$OUT" || fail "OCF validate-all without eni does not say so: $OUT"
echo "ok - the OCF agent, backend=aws: start (associated), monitor (0, then 7 once another node took it), stop (disassociated); no eni without imds: not configured ($OUT)"

# ---- failures and retries ----
faults '{"throttle": 2}'
out=$(keys --stats describe-eni eni-0aaa 2>&1) || fail "after 2 throttled answers: $out"
grep -q "attempts 3 retries 2" <<<"$out" || fail "throttled twice: $out"
faults '{"error5xx": 2}'
out=$(keys --stats describe-eni eni-0aaa 2>&1) || fail "after two 500s: $out"
grep -q "attempts 3 retries 2" <<<"$out" || fail "500 twice: $out"
echo "ok - 2 throttled answers, then 2 InternalErrors: each call retried and done in 3 attempts"
faults '{"throttle": 1000}'
t0=$(date +%s%N)
if out=$(keys --deadline 1500 describe-eni eni-0aaa 2>&1); then fail "throttled for ever, yet done"; fi
ms=$((($(date +%s%N) - t0) / 1000000))
faults '{"throttle": -1000}'
grep -q "HTTP 503 RequestLimitExceeded" <<<"$out" || fail "throttled to the deadline: $out"
[ "$ms" -lt 5000 ] || fail "a 1.5 s deadline took $ms ms"
echo "ok - throttled without end: given up at the 1.5 s deadline ($ms ms): $out"
faults '{"bad_xml": 1}'
if out=$(keys describe-eni eni-0aaa 2>&1); then fail "a malformed answer was taken"; fi
grep -q "no XML" <<<"$out" || fail "malformed answer: $out"
faults '{"skew_s": 900}'
if out=$(keys describe-eni eni-0aaa 2>&1); then fail "a request 15 minutes off was taken"; fi
faults '{"skew_s": 0}'
grep -q "RequestExpired.*clock" <<<"$out" || fail "clock skew: $out"
rejected=$(stat rejected)
if out=$(AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wrong "$aws" describe-eni eni-0aaa 2>&1); then
	fail "a wrong secret was taken"
fi
grep -q "SignatureDoesNotMatch" <<<"$out" || fail "wrong secret: $out"
[ "$(stat rejected)" = $((rejected + 1)) ] || fail "the fake did not count the bad signature"
echo "ok - a 2xx that is no XML, a clock 15 min off (RequestExpired, said as a clock problem) and a wrong secret (SignatureDoesNotMatch) fail with EC2's words"

# ---- the instance role through IMDSv2 ----
imds=http://127.0.0.1:$imds_port
[ "$("$aws" --imds "$imds" imds /latest/meta-data/instance-id)" = i-01 ] || fail "IMDS instance-id"
out=$("$aws" --imds "$imds" --stats describe-eni eni-0aaa 2>&1) || fail "with the role's credentials: $out"
grep -q "credential-fetches 1" <<<"$out" || fail "role credentials: $out"
n=$(stat verified)
"$aws" --imds "$imds" --repeat 2 --interval 1500 --stats describe-eni eni-0aaa >"$dir/rep.out" 2>&1 &
rep=$!
after_first_call "$n" # (the second call comes 1.5 s after the first)
faults '{"expire_credentials": true, "expire_tokens": true}'
wait $rep || fail "after the role's credentials expired: $(cat "$dir/rep.out")"
grep -q "calls 2 attempts 3 retries 0 imds 6 credential-fetches 2" "$dir/rep.out" ||
	fail "expired credentials: $(cat "$dir/rep.out")"
"$aws" --imds "$imds" --repeat 2 --interval 1500 --stats imds /latest/meta-data/mac >"$dir/tok.out" 2>&1 &
rep=$!
for _ in $(seq 100); do [ -s "$dir/tok.out" ] && break; sleep 0.05; done # its first answer printed
faults '{"expire_tokens": true}'
wait $rep || fail "after the IMDS token expired: $(cat "$dir/tok.out")"
grep -q "imds 5" "$dir/tok.out" || fail "expired IMDS token: $(cat "$dir/tok.out")"
echo "ok - the role's credentials from IMDSv2 (token PUT, role, keys with a session token); expired: AuthFailure, fetched again, the call done; an expired IMDS token (401) replaced"
[ "$(stat rejected)" = 3 ] || fail "rejected: $(stat rejected) ($(stat last_rejection))"
echo "ok - the fake verified $(stat verified) requests' SigV4 with botocore; it rejected $(stat rejected), each one made to be (the clock, the wrong secret, the expired role credentials)"
