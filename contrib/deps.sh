#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages sexec needs to build, test and demo, if any
# are missing. Safe to run again: it does nothing when all are present.
set -euo pipefail

PKGS=(
	# build
	gcc make pkg-config autoconf automake libtool
	clang llvm libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev
	libhwloc-dev libpq-dev libcunit1-dev libslurm-dev
	# a one-node cluster for tests and the demo
	munge mariadb-server slurmctld slurmd slurmdbd slurm-client
	postgresql postgresql-client
	# tests
	jq procps util-linux
	# the HTML report rendered headless, and --json checked against its schema
	chromium python3-jsonschema
	# pam_slurm_adopt, driven by pamtester, for the extern step tests
	libpam-slurm-adopt pamtester
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's maintainer scripts would start the packaged daemons; our cluster
# runs its own, so keep them from starting during installation.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	created_policy=1
fi
trap '[ $created_policy -eq 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
