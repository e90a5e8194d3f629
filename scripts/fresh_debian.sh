#!/usr/bin/env bash
# Checks the README's two commands on a fresh Debian 12: makes a minimal Debian 12 (bookworm) system with
# debootstrap in a folder, clones the current commit into it, and runs the README's commands 1 and 2 there
# (chroot), each exactly as the README writes it. Nothing the host has installed is visible inside, so a
# package that scripts/bootstrap.sh forgets to install fails the check.
#
#   scripts/fresh_debian.sh [FOLDER]     (as root; FOLDER defaults to /tmp/cxrisk-fresh-debian)
#
# Needs root (debootstrap, chroot, bind mounts) and Debian's package mirror. The folder is made anew (an
# existing one is removed first, if this script made it), and the clone is of HEAD: commit first. Takes
# about 5 minutes on 2 cores, most of it the packages. Logs: FOLDER.command-1.log and FOLDER.command-2.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-/tmp/cxrisk-fresh-debian}
mirror=http://deb.debian.org/debian

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh_debian: must run as root (debootstrap, chroot and bind mounts)" >&2
  exit 2
fi
# The README's commands, from its "Two commands" block: the lines after "# 1." and "# 2.".
commands=()
for n in 1 2; do
  line=$(awk -v n="$n" 'index($0, "# " n ".") == 1 { getline; print; exit }' README.md)
  if [ -z "$line" ]; then
    echo "fresh_debian: README.md has no command $n (a line after \"# $n.\")" >&2
    exit 2
  fi
  commands+=("$line")
done

if [ -e "$root" ]; then
  if [ ! -e "$root/.cxrisk-fresh-debian" ]; then
    echo "fresh_debian: $root exists and was not made by this script; choose another folder" >&2
    exit 2
  fi
  rm -rf --one-file-system "$root"
fi
scripts/install_packages.sh debootstrap

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" || true; done
}
trap cleanup EXIT

mkdir -p "$root"
touch "$root/.cxrisk-fresh-debian"
echo "fresh_debian: debootstrap bookworm (minbase) into $root" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1
git clone -q "$PWD" "$root/root/cxrisk"
cp /etc/resolv.conf "$root/etc/resolv.conf"
for m in proc sys dev dev/pts; do
  mount --bind "/$m" "$root/$m"
  mounted+=("$root/$m")
done

status=0
for n in 1 2; do
  log="$root.command-$n.log"
  echo "fresh_debian: command $n: ${commands[n - 1]}" >&2
  start=$(date +%s)
  if chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd /root/cxrisk && ${commands[n - 1]}" >"$log" 2>&1; then
    echo "fresh_debian: command $n passed in $(($(date +%s) - start)) s (log: $log)" >&2
  else
    echo "fresh_debian: command $n FAILED after $(($(date +%s) - start)) s; the end of $log:" >&2
    tail -20 "$log" >&2
    status=1
  fi
done
exit $status
