#!/bin/sh
# The cloud backends are weak references in backend/backend.c (the OCF
# agent's L2 build must not load curl and OpenSSL): each program that moves
# VIPs through a cloud must pull them in itself (cloud/Makefile.inc,
# CLOUD_BACKENDS_LINK), or it would lose them without a word. The L2
# build of the agent must not have them. Run by make check.
set -u
b=${top_builddir:-.}
rc=0
has() { nm "$b/$1" 2>/dev/null | grep -q " [DdRr] cv_$2_backend\$"; }
for p in agent/corovipd cloud/corovip-os cloud/corovip-aws ocf/corovip-ocf-vip-cloud; do
	for k in openstack aws; do
		has "$p" $k || { echo "$p: no $k backend linked"; rc=1; }
	done
done
for k in openstack aws; do
	has ocf/corovip-ocf-vip $k && { echo "ocf/corovip-ocf-vip: links the $k backend"; rc=1; }
done
[ $rc = 0 ] && echo "the cloud backends are where they belong"
exit $rc
