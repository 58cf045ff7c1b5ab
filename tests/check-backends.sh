#!/bin/sh
# The cloud backends are weak references in backend/backend.c (the OCF
# agent's L2 build must not load curl and OpenSSL): each program that moves
# VIPs through a cloud must pull them in itself (cloud/Makefile.inc,
# CLOUD_BACKENDS_LINK), or it would lose them without a word. The L2
# build of the agent must not have them. Run by make check.
set -u
b=${top_builddir:-.}
rc=0
has() { nm "$b/$1" 2>/dev/null | grep -q ' [DdRr] cv_openstack_backend$'; }
for p in agent/corovipd cloud/corovip-os ocf/corovip-ocf-vip-cloud; do
	has "$p" || { echo "$p: no OpenStack backend linked"; rc=1; }
done
has ocf/corovip-ocf-vip && { echo "ocf/corovip-ocf-vip: links the cloud backends"; rc=1; }
# the AWS backend: corovip-aws's (corovipd's once its bed test exists: issue 18)
nm "$b/cloud/corovip-aws" 2>/dev/null | grep -q ' [DdRr] cv_aws_backend$' ||
	{ echo "cloud/corovip-aws: no AWS backend linked"; rc=1; }
[ $rc = 0 ] && echo "the cloud backends are where they belong"
exit $rc
