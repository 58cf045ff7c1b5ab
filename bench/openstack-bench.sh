#!/bin/bash
# A floating IP move and an allowed-address-pairs move through Neutron
# (issue 14), corovip beside its peers, against the same real Keystone +
# Neutron (tests/openstack/fixture.sh), on this machine, each the median of
# REPS runs. Floating IP:
#   floor     one PUT /v2.0/floatingips/{id} with curl and a token at hand
#             (Neutron's own time: nobody moves it faster)
#   corovip   corovip-os bench: a warm token and revision, one PUT per move
#   cli       `openstack floating ip set --port` (the CLI the agents fork)
#   agent     resource-agents' openstack-floating-ip: `start` on the node
#             taking over (the failover), and `stop` on the holder + `start`
#             on the other (a planned move)
# Allowed address pairs (the VIP's address moved from n1's port to n2's):
#   floor     one PUT /v2.0/ports/{id} with curl and a token at hand
#   corovip   corovip-os pair bench: a warm token and revisions; the add on
#             the new port and the removal from the old one started together
#   cli       `openstack port set --allowed-address ip-address=VIP` on the
#             new port, then `openstack port unset --allowed-address
#             ip-address=VIP,mac-address=MAC` on the old (what the agent runs)
#   agent     resource-agents' openstack-virtual-ip (if installed): `start`
#             on the node taking over (the failover: the old port keeps its
#             pair, as a dead holder's does), and `stop` + `start` (a planned
#             move)
# Printed as times and as ratios to corovip. The agents need Pacemaker's
# attrd_updater and crm_node for its node's ports: small stand-ins answer
# as Pacemaker would (the openstack-info agent's openstack_ports).
#   bench/openstack-bench.sh [BUILD_DIR]     (root; REPS=5 by default;
#   ONLY=fip or ONLY=aap runs one half)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
REPS=${REPS:-5}
ONLY=${ONLY:-}
fix="bash $top/tests/openstack/fixture.sh"
started=
if ! $fix env >/dev/null 2>&1; then
	$fix up
	started=1
fi
shim=$(mktemp -d /tmp/corovip-osbench.XXXXXX)
trap 'rm -rf "$shim"; [ -z "$started" ] || $fix down' EXIT
eval "$($fix env)"
$fix reset >/dev/null
export PATH=/usr/bin:/bin:/usr/sbin:/sbin # the system python3 has the OpenStack libs
export OS_CLIENT_CONFIG_FILE=$CVOS_CLOUDS_YAML
unset OS_CLOUD OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_AUTH_TYPE

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
port_of() { [ "$1" = n1 ] && echo "$CVOS_PORT_N1" || echo "$CVOS_PORT_N2"; }
other() { [ "$1" = n1 ] && echo n2 || echo n1; }

# ---- a token for curl
token=$(curl -sS -D - -o /dev/null -H 'Content-Type: application/json' -d "$(jq -nc \
	--arg u "$CVOS_USER" --arg p "$CVOS_PASSWORD" --arg pr "$CVOS_PROJECT" \
	'{auth:{identity:{methods:["password"],password:{user:{name:$u,domain:{name:"Default"},password:$p}}},
	  scope:{project:{name:$pr,domain:{name:"Default"}}}}}')" "$CVOS_AUTH_URL/auth/tokens" |
	awk 'tolower($1)=="x-subject-token:" { print $2 }' | tr -d '\r')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }

# ---- the agent, with Pacemaker's two tools stood in for
cat >"$shim/crm_node" <<'EOF'
#!/bin/sh
echo "$BENCH_NODE"
EOF
cat >"$shim/attrd_updater" <<EOF
#!/bin/sh
# --query -n openstack_ports -N NODE: as Pacemaker prints it; anything else (-S, -D): accepted
case "\$*" in
*--query*openstack_ports*)
	case "\$*" in *n1*) p=$CVOS_PORT_N1 ;; *) p=$CVOS_PORT_N2 ;; esac
	echo "name=\"openstack_ports\" host=\"\$BENCH_NODE\" value=\"$CVOS_SUBNET_ID:\$p\"" ;;
esac
exit 0
EOF
chmod +x "$shim/crm_node" "$shim/attrd_updater"
# ---- the floating IP
fip_bench() {
	# ---- floor: one PUT with curl
	floor=$(for i in $(seq "$REPS"); do
		p=$(port_of "n$((i % 2 + 1))")
		curl -sS -o /dev/null -w '%{time_total}\n' -X PUT -H "X-Auth-Token: $token" \
			-H 'Content-Type: application/json' -d "{\"floatingip\":{\"port_id\":\"$p\"}}" \
			"$CVOS_NEUTRON_URL/v2.0/floatingips/$CVOS_FIP1_ID"
	done | awk '{ printf "%.0f\n", $1 * 1000 }' | median)

	# ---- corovip: warm moves (the first is the warm-up: not counted)
	out=$("$build/cloud/corovip-os" --cloud corovip --clouds-yaml "$CVOS_CLOUDS_YAML" --epoch 1 \
		bench "$CVOS_FIP1_ID" "$CVOS_PORT_N1" "$CVOS_PORT_N2" $((REPS + 1)))
	corovip=$(awk '/^move [0-9]+:/ && $2 != "1:" { printf "%.0f\n", $3 }' <<<"$out" | median)
	calls=$(awk '/^move [0-9]+:/ && $2 != "1:" { print $5, $7, $9 }' <<<"$out" | sort -u | tr '\n' ';')
	$fix reset >/dev/null

	# ---- the CLI
	cli=$(for i in $(seq "$REPS"); do
		p=$(port_of "n$((i % 2 + 1))")
		t0=$(now_ms)
		openstack --os-cloud corovip floating ip set --port "$p" "$CVOS_FIP1_ID" >/dev/null
		echo $(($(now_ms) - t0))
	done | median)
	$fix reset >/dev/null

	agent() { # NODE ACTION
		BENCH_NODE=$1 HA_SBIN_DIR=$shim PATH="$shim:$PATH" OCF_ROOT=/usr/lib/ocf HOME=$CVOS_HOME \
			OCF_RESOURCE_INSTANCE=fip OCF_RESKEY_ip_id="$CVOS_FIP1_ID" OCF_RESKEY_subnet_id="$CVOS_SUBNET_ID" \
			OCF_RESKEY_cloud=corovip /usr/lib/ocf/resource.d/heartbeat/openstack-floating-ip "$2" >/dev/null 2>&1
	}
	holder=n1
	agent n1 start || { echo "FAIL: openstack-floating-ip start did not work here"; exit 1; }
	failover=$(for i in $(seq "$REPS"); do
		to=$(other $holder)
		t0=$(now_ms)
		agent "$to" start
		echo $(($(now_ms) - t0))
		holder=$to
	done | median)
	move=$(for i in $(seq "$REPS"); do
		to=$(other $holder)
		t0=$(now_ms)
		agent "$holder" stop
		agent "$to" start
		echo $(($(now_ms) - t0))
		holder=$to
	done | median)
	$fix reset >/dev/null

	echo "OpenStack floating IP move, median of $REPS, on this machine (Neutron $CVOS_NEUTRON_URL):"
	printf '  %-48s %6s ms\n' "one Neutron PUT (curl, token at hand): the floor" "$floor"
	printf '  %-48s %6s ms  %s of the floor; calls per move (reads writes tokens): %s\n' \
		"corovip (corovip-os, warm token and revision)" "$corovip" "$(ratio "$corovip" "$floor")" "$calls"
	printf '  %-48s %6s ms  %s corovip\n' "openstack floating ip set --port" "$cli" "$(ratio "$cli" "$corovip")"
	printf '  %-48s %6s ms  %s corovip\n' "openstack-floating-ip start (failover)" "$failover" "$(ratio "$failover" "$corovip")"
	printf '  %-48s %6s ms  %s corovip\n' "openstack-floating-ip stop + start (planned move)" "$move" "$(ratio "$move" "$corovip")"
}

# ---- allowed address pairs: the VIP's address moved between n1's port and n2's
pairs_put() { # PORT PAIRS-JSON: prints the seconds it took
	curl -sS -o /dev/null -w '%{time_total}\n' -X PUT -H "X-Auth-Token: $token" \
		-H 'Content-Type: application/json' -d "{\"port\":{\"allowed_address_pairs\":$2}}" \
		"$CVOS_NEUTRON_URL/v2.0/ports/$1"
}
mac_of() { [ "$1" = n1 ] && echo "$CVOS_PORT_N1_MAC" || echo "$CVOS_PORT_N2_MAC"; }
aap_bench() {
	local vip=$CVOS_VIP osvip=/usr/lib/ocf/resource.d/heartbeat/openstack-virtual-ip
	local floor corovip calls cli failover=- move=- out holder to

	# ---- floor: one PUT of a port's pairs with curl
	floor=$(for i in $(seq "$REPS"); do
		if [ $((i % 2)) = 1 ]; then pairs_put "$CVOS_PORT_N1" "[{\"ip_address\":\"$vip\"}]"
		else pairs_put "$CVOS_PORT_N1" '[]'; fi
	done | awk '{ printf "%.0f\n", $1 * 1000 }' | median)
	$fix reset >/dev/null

	# ---- corovip: warm moves (the first is not counted, as for the floating IP)
	out=$("$build/cloud/corovip-os" --cloud corovip --clouds-yaml "$CVOS_CLOUDS_YAML" \
		--verify-delay 300 pair bench "$vip" "$CVOS_PORT_N1" "$CVOS_PORT_N2" $((REPS + 1)))
	corovip=$(awk '/^move [0-9]+:/ && $2 != "1:" { printf "%.0f\n", $3 }' <<<"$out" | median)
	calls=$(awk '/^move [0-9]+:/ && $2 != "1:" { print $11, $13, $15 }' <<<"$out" | sort -u | tr '\n' ';')
	# what corovipd's takeover waits for: the add alone (the removal from
	# the old port goes on after the address is ours: os-backend-pairs.c)
	takeover=$(awk '/^move [0-9]+:/ && $2 != "1:" { printf "%.0f\n", $6 }' <<<"$out" | median)
	$fix reset >/dev/null

	# ---- the CLI: set on the new port, unset on the old
	cli=$(holder=n1
	pairs_put "$CVOS_PORT_N1" "[{\"ip_address\":\"$vip\"}]" >/dev/null
	for i in $(seq "$REPS"); do
		to=$(other "$holder")
		t0=$(now_ms)
		openstack --os-cloud corovip port set --allowed-address ip-address="$vip" "$(port_of "$to")" >/dev/null
		openstack --os-cloud corovip port unset --allowed-address \
			ip-address="$vip",mac-address="$(mac_of "$holder")" "$(port_of "$holder")" >/dev/null
		echo $(($(now_ms) - t0))
		holder=$to
	done | median)
	$fix reset >/dev/null

	# ---- the agent
	if [ -x "$osvip" ]; then
		vagent() { # NODE ACTION
			BENCH_NODE=$1 HA_SBIN_DIR=$shim PATH="$shim:$PATH" OCF_ROOT=/usr/lib/ocf HOME=$CVOS_HOME \
				OCF_RESOURCE_INSTANCE=vip OCF_RESKEY_ip="$vip" OCF_RESKEY_subnet_id="$CVOS_SUBNET_ID" \
				OCF_RESKEY_cloud=corovip "$osvip" "$2" >/dev/null 2>&1
		}
		holder=n1
		vagent n1 start || { echo "FAIL: openstack-virtual-ip start did not work here"; exit 1; }
		failover=$(for i in $(seq "$REPS"); do
			to=$(other "$holder")
			pairs_put "$(port_of "$to")" '[]' >/dev/null # what it held before: gone
			t0=$(now_ms)
			vagent "$to" start
			echo $(($(now_ms) - t0))
			holder=$to
		done | median)
		$fix reset >/dev/null
		holder=n1
		vagent n1 start
		move=$(for i in $(seq "$REPS"); do
			to=$(other "$holder")
			t0=$(now_ms)
			vagent "$holder" stop
			vagent "$to" start
			echo $(($(now_ms) - t0))
			holder=$to
		done | median)
		$fix reset >/dev/null
	fi

	echo "OpenStack allowed-address-pairs move, median of $REPS, on this machine (Neutron $CVOS_NEUTRON_URL):"
	printf '  %-58s %6s ms\n' "one Neutron PUT of a port (curl, token at hand): the floor" "$floor"
	printf '  %-58s %6s ms  %s of the floor; calls per move (reads writes tokens): %s\n' \
		"corovip (add on new + remove from old, together; warm)" "$corovip" "$(ratio "$corovip" "$floor")" "$calls"
	printf '  %-58s %6s ms  %s corovip\n' "openstack port set + port unset --allowed-address" "$cli" "$(ratio "$cli" "$corovip")"
	if [ "$failover" = - ]; then
		echo "  openstack-virtual-ip: not installed ($osvip)"
	else
		printf '  %-58s %6s ms  %s corovip\n' "openstack-virtual-ip start (failover)" "$failover" "$(ratio "$failover" "$corovip")"
		printf '  %-58s %6s ms  %s of it: what corovipd waits for\n' "  corovipd's takeover: the add on its port alone" "$takeover" \
			"$(ratio "$failover" "$takeover")"
		printf '  %-58s %6s ms  %s corovip\n' "openstack-virtual-ip stop + start (planned move)" "$move" "$(ratio "$move" "$corovip")"
	fi
}

[ "$ONLY" = aap ] || fip_bench
[ "$ONLY" = fip ] || aap_bench
