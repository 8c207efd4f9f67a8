#!/bin/sh
# Install, with apt-get, the Debian packages zkelectd needs to build, test and demo,
# but only those that are missing, so a second run is quick and offline-safe.
set -eu

pkgs="build-essential pkg-config libzookeeper-mt-dev libevent-dev libinih-dev
libcmocka-dev zookeeper procps iproute2 python3 postgresql libpq-dev
cppcheck clang-tidy valgrind clang libclang-rt-14-dev groff-base
nftables iputils-arping ndisc6 debhelper lintian python3-kazoo"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi

echo "install-deps: installing$missing"
# PostgreSQL is only for the example hooks' test, which runs private clusters:
# ask Debian's postgresql-common not to create (and start) its own main cluster.
case " $missing " in
*" postgresql "*)
	if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
		mkdir -p /etc/postgresql-common
		echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
	fi ;;
esac
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
