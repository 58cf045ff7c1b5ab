#!/bin/bash
# corovipd's AWS backend on 3 real corosync nodes in namespaces
# (tests/integration/bed.sh, prefix "aw"), against tests/aws/ec2-fake.py: a
# local EC2 endpoint written for the tests (NOT AWS) that checks every
# request's SigV4 with python3-botocore. It runs in the bed's client
# namespace, at its address on the bed's bridge (192.0.2.100), which nothing
# links to the host's namespace. Each node's config names its own ENI:
#   web  192.0.2.70/24 on eth0, mode secondary_ip, prefers n1
#   ovl  198.51.100.10/32 on eth0, mode route (table rtb-1), prefers n2
#   pub  198.51.100.7, mode elastic_ip (eipalloc-1), prefers n3
# n1 and n2 name their region, ENI and credentials file; n3 reads all three
# from the endpoint's IMDSv2 (its answers by the asking node's address).
# Asserted from the kernel (each node's addresses) and from the endpoint's
# state (which ENI has the IP, where the route and the Elastic IP point, the
# stamp tags), never from a log:
#   - each VIP on its preferred node, in the kernel (web, ovl) and in EC2,
#     with the holder's stamp tag; status --json shows what EC2 said;
#   - n1's corovipd killed (-9): web on another node, whose ENI alone has it;
#     then moved back to n1 by corovipctl move;
#   - ovl's holder stopped: ovl elsewhere, the route to the new holder's ENI;
#   - pub associated with another ENI behind our back: a renewal round
#     finds it and pub's holder takes it back;
#   - pub's holder crashed: the Elastic IP on a live node's ENI;
#   - every request's signature verified, none rejected.
#   tests/aws/failover.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
python3 -c 'import botocore' 2>/dev/null || { echo "SKIP: needs python3-botocore"; exit 77; }
cd "$top"
fail() { echo "FAIL: $*"; [ ! -s "${BED_DIR:-/nonexistent}/ec2.log" ] || tail -5 "$BED_DIR/ec2.log"; exit 1; }
export BED_PREFIX=${BED_PREFIX:-aw}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
WEB=192.0.2.70 OVL=198.51.100.10 PUB=198.51.100.7
EC2=http://$(bed_ip c):8080

bed_cluster_up 3 || fail "$BED_LAST"
cat >"$BED_DIR/ec2.json" <<'EOS'
{"keys": {"AKIDBED": "bed-secret-key-0123456789"},
 "enis": {"eni-n1": {"ips": ["192.0.2.11"], "subnet": "subnet-1", "instance": "i-n1"},
          "eni-n2": {"ips": ["192.0.2.12"], "subnet": "subnet-1", "instance": "i-n2"},
          "eni-n3": {"ips": ["192.0.2.13"], "subnet": "subnet-1", "instance": "i-n3"},
          "eni-other": {"ips": ["192.0.2.99"], "subnet": "subnet-1", "instance": "i-other"}},
 "route_tables": {"rtb-1": {"routes": {"198.51.100.10/32": "eni-other"}}},
 "addresses": {"eipalloc-1": {"public_ip": "198.51.100.7", "eni": "", "private_ip": "", "association": ""}},
 "instances": {"192.0.2.13": {"id": "i-n3", "mac": "02:cf:00:00:00:0d", "eni": "eni-n3", "role": "corovip-role"}}}
EOS
printf '[default]\naws_access_key_id = AKIDBED\naws_secret_access_key = bed-secret-key-0123456789\n' \
	>"$BED_DIR/aws-credentials"
chmod 600 "$BED_DIR/aws-credentials"
bed_bg ec2 bed_exec c python3 "$top/tests/aws/ec2-fake.py" 8080 8081 "$BED_DIR/ec2.json" \
	--bind "$(bed_ip c)"
bed_wait_until 5000 "the EC2 endpoint" grep -q ready "$BED_DIR/ec2.log" || fail "the endpoint did not start"
ec2() { bed_exec c curl -sf "$EC2/_fake/$1"; }
# ENIs that have IP ("eni-n1"); where the route and the Elastic IP point
enis_with() { ec2 state | jq -r --arg ip "$1" '[.enis | to_entries[] | select(.value.ips | index($ip)) | .key] | join(" ")'; }
route_to() { ec2 state | jq -r '.route_tables["rtb-1"].routes["198.51.100.10/32"]'; }
eip_on() { ec2 state | jq -r '.addresses["eipalloc-1"].eni'; }
tag() { ec2 state | jq -r --arg k "corovip:$2" "$1.tags[\$k] // \"-\""; }

for i in 1 2 3; do
	# n3 leaves its region, its ENI and its keys to IMDS (the instance role)
	cloud="region: us-east-1
	credentials_file: $BED_DIR/aws-credentials" eni="eni: eni-n$i"
	[ $i = 3 ] && cloud="imds: http://$(bed_ip c):8081" eni=""
	cat >"$BED_DIR/n$i.conf" <<EOC
cluster {
	kernel_lease: 3s
}
node n1 {
}
node n2 {
}
node n3 {
}
cloud ec2 {
	type: aws
	endpoint: $EC2/
	$cloud
	call_timeout: 2s
	op_timeout: 8s
}
vip web {
	address: $WEB/24
	interface: eth0
	backend: aws
	mode: secondary_ip
	cloud: ec2
	$eni
	prefer: n1 n2 n3
}
vip ovl {
	address: $OVL/32
	interface: eth0
	backend: aws
	mode: route
	cloud: ec2
	$eni
	route_table: rtb-1
	prefer: n2 n3 n1
}
vip pub {
	address: $PUB/32
	backend: aws
	mode: elastic_ip
	cloud: ec2
	allocation_id: eipalloc-1
	$eni
	prefer: n3 n1 n2
}
EOC
done
ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }
for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$i.conf"; done

# held I ADDR: ADDR on node I alone in the kernel
held() {
	local h
	h=$(bed_holders "$2")
	BED_LAST="$2 on '$h' in the kernel"
	[ "$h" = "n$1" ]
}
is() { # WHAT EXPECTED CMD...: CMD prints EXPECTED
	local what=$1 want=$2 got
	shift 2
	got=$("$@" 2>/dev/null) || got="(no answer)"
	BED_LAST="$what: '$got', not '$want'"
	[ "$got" = "$want" ]
}
bed_wait_until 20000 "web on n1" held 1 $WEB >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "web on eni-n1 alone" is "ENIs with web" eni-n1 enis_with $WEB >/dev/null || fail "$BED_LAST"
bed_wait_until 20000 "ovl on n2" held 2 $OVL >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "the route to eni-n2" is "rtb-1's route" eni-n2 route_to >/dev/null || fail "$BED_LAST"
bed_wait_until 20000 "pub on eni-n3" is "the Elastic IP's ENI" eni-n3 eip_on >/dev/null || fail "$BED_LAST"
[ -z "$(bed_holders $PUB)" ] || fail "the Elastic IP's address is on an interface: $(bed_holders $PUB)"
for v in '.enis["eni-n1"] web' '.route_tables["rtb-1"] ovl' '.addresses["eipalloc-1"] pub'; do
	# shellcheck disable=SC2086
	t=$(tag $v)
	[[ "$t" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no stamp tag on ${v% *}: $t"
done
echo "ok - web ($WEB, secondary_ip) on n1 and eni-n1; ovl ($OVL, route) on n2, the route to eni-n2;" \
	"pub ($PUB, elastic_ip) on eni-n3; each with its mover's stamp tag"
status_on() { # I VIP ENI: status --json on I shows VIP's cloud on ENI
	local js
	js=$(ctl "$1" status --json | jq -c ".vips[] | select(.name == \"$2\") | .cloud")
	BED_LAST="n$1's status: $2's cloud $js"
	[ "$(jq -r .on <<<"$js")" = "$3" ] && [ "$(jq -r .node <<<"$js")" -gt 0 ]
}
bed_wait_until 5000 "n3's status of pub" status_on 3 pub eni-n3 >/dev/null || fail "$BED_LAST"
ctl 3 status | grep -A2 "^VIP 'pub'" | sed 's/^/    /'

bed_signal 1 corovipd KILL
bed_wait_until 15000 "web off n1" bed_moved web $WEB n1 >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "web on eni-n$BED_TO alone" is "ENIs with web" "eni-n$BED_TO" enis_with $WEB >/dev/null ||
	fail "$BED_LAST"
echo "ok - n1's corovipd killed: web on n$BED_TO, whose ENI alone has it"
n1_back() { [ "$(ctl 1 status --json 2>/dev/null | jq -r .cluster.quorate)" = true ]; }
bed_wait_until 15000 "n1's corovipd back and quorate" n1_back >/dev/null || fail "n1's corovipd did not come back"
out=$(ctl "$BED_TO" move web n1 --wait 2>&1) || fail "corovipctl move web n1: $out"
bed_wait_until 15000 "web moved to n1" held 1 $WEB >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "web on eni-n1 alone" is "ENIs with web" eni-n1 enis_with $WEB >/dev/null || fail "$BED_LAST"
unassigned() { ec2 stats | jq -r '.calls.UnassignPrivateIpAddresses // 0'; }
[ "$(unassigned)" -ge 1 ] || fail "n$BED_TO never unassigned web from its ENI"
echo "ok - corovipctl move web n1: on n1 and eni-n1 alone (n$BED_TO released it, and unassigned it: $(unassigned) call(s))"

bed_norestart 2 corovipd
bed_stop 2 corovipd 10000 || fail "stopping n2's corovipd"
bed_wait_until 15000 "ovl off n2" bed_moved ovl $OVL n2 >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "the route to eni-n$BED_TO" is "rtb-1's route" "eni-n$BED_TO" route_to >/dev/null || fail "$BED_LAST"
echo "ok - n2's corovipd stopped: ovl on n$BED_TO, the route to eni-n$BED_TO"

bed_exec c env AWS_ACCESS_KEY_ID=AKIDBED AWS_SECRET_ACCESS_KEY=bed-secret-key-0123456789 \
	AWS_REGION=us-east-1 AWS_ENDPOINT_URL_EC2="$EC2/" "$build/cloud/corovip-aws" \
	associate eipalloc-1 eni-other >/dev/null || fail "associating pub with eni-other"
bed_wait_until 15000 "pub back on eni-n3" is "the Elastic IP's ENI" eni-n3 eip_on >/dev/null || fail "$BED_LAST"
echo "ok - pub associated with eni-other behind our back: a renewal round found it, n3 took it back"

bed_crash 3 || fail "$BED_LAST"
live_eni() { local e; e=$(eip_on); BED_LAST="the Elastic IP on '$e'"; [ "$e" = eni-n1 ] || [ "$e" = eni-n2 ]; }
bed_wait_until 20000 "pub on a live node's ENI" live_eni >/dev/null || fail "$BED_LAST"
echo "ok - n3 crashed: pub on $(eip_on)"

verified=$(ec2 stats | jq -r .verified) rejected=$(ec2 stats | jq -r .rejected)
[ "$rejected" = 0 ] || fail "the endpoint rejected $rejected request(s): $(ec2 stats | jq -r .last_rejection)"
echo "ok - the endpoint verified $verified requests' SigV4 with botocore, rejected none"
