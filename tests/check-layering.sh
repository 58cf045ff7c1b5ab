#!/bin/sh
# The dependency rule between folders (README "Layout", ../shared/style.md §3):
# which of our folders and which libraries each folder may include. A folder
# reaches another's code only through what is allowed here; l2/, quorum/ and
# cloud/ never include each other, and nothing but agent/ knows the
# daemon. Run by make check with top_srcdir set.
set -u
top=${top_srcdir:-.}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# FOLDER: our folders it may include from (itself always), or single headers
# of another (FOLDER/HEADER), then the library header prefixes it may use
# (<qb/...>, <corosync/...>, ...).
rules='core|core|
quorum|core|qb corosync
backend|core|qb
l2|core backend|qb libmnl
ctl|core quorum backend/backend.h|qb json-c microhttpd.h
checks|core agent/loop-timer.h cloud/http.h|qb libpq-fe.h
cloud|core backend agent/loop-timer.h|qb curl json-c libxml yaml.h
agent|core quorum backend l2 ctl checks cloud|qb corosync libmnl json-c cap-ng.h systemd
ocf|core backend l2/netlink.h ctl/ipc-client.h ctl/ipc-proto.h|qb
import|core|libxml'
libs_all='qb corosync libmnl json-c curl libxml yaml.h cap-ng.h systemd microhttpd.h libpq-fe.h'

# Which folder a header of ours lives in.
home_of() {
	for d in core quorum l2 ctl checks agent cloud backend ocf import; do
		[ -f "$top/$d/$1" ] && { echo "$d"; return; }
	done
}

echo "$rules" | while IFS='|' read -r dir ours libs; do
	[ -d "$top/$dir" ] || continue
	for f in "$top/$dir"/*.[ch]; do
		[ -f "$f" ] || continue
		grep -hoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]+"' "$f" |
			sed -E 's/.*"([^"]+)".*/\1/' | while read -r h; do
			home=$(home_of "$h")
			[ -n "$home" ] || continue
			case " $dir $ours " in *" $home "* | *" $home/$h "*) ;; *)
				echo "${f#"$top"/}: includes $home/$h ($dir/ may include only: $dir $ours)"
				echo x >>"$tmp" ;;
			esac
		done
		grep -hoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<[^>]+>' "$f" |
			sed -E 's/.*<([^>]+)>.*/\1/' | while read -r h; do
			for l in $libs_all; do
				case "$h" in "$l"/* | "$l") ;; *) continue ;; esac
				case " $libs " in *" $l "*) ;; *)
					echo "${f#"$top"/}: includes <$h> ($dir/ may use only: ${libs:-libc})"
					echo x >>"$tmp" ;;
				esac
			done
		done
	done
done
[ ! -s "$tmp" ] || { echo "layering: $(wc -l <"$tmp") include(s) break the rule"; exit 1; }
